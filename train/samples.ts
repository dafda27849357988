import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { latents } from '../contract/index.ts';
import type { Preset } from './models/presets.ts';

const SIZE = 28;
const GAP = 2;

/**
 * Tiles `rows × cols` 28×28 digits (values in [-1, 1], row-major, one after another) into one
 * grayscale PNG with a thin dark gap between digits.
 */
export function gridPng(images: Float32Array, rows: number, cols: number, scale = 2): Buffer {
  if (images.length !== rows * cols * SIZE * SIZE) {
    throw new Error(`gridPng: got ${images.length} values for a ${rows}x${cols} grid of 28x28 digits`);
  }
  const width = (cols * (SIZE + GAP) + GAP) * scale;
  const height = (rows * (SIZE + GAP) + GAP) * scale;
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const gray = new Uint8Array(width * height).fill(40);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (r * cols + c) * SIZE * SIZE;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const v = images[base + y * SIZE + x];
          const byte = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
          const px = (GAP + c * (SIZE + GAP) + x) * scale;
          const py = (GAP + r * (SIZE + GAP) + y) * scale;
          for (let dy = 0; dy < scale; dy++)
            gray.fill(byte, (py + dy) * width + px, (py + dy) * width + px + scale);
        }
      }
    }
  }
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

export const SAMPLE_COLS = 8;

/**
 * The fixed inputs of a run's sample grids: 8×8 digits, or for conditional presets one row of 8 per
 * class. Drawn from their own stream so they are the same at every step and after a resume.
 */
export function sampleInputs(
  preset: Preset,
  seed: number,
): { noise: tf.Tensor2D; labels: tf.Tensor2D | null; rows: number } {
  const rows = preset.classes > 0 ? preset.classes : SAMPLE_COLS;
  const n = rows * SAMPLE_COLS;
  // The page's sampler: a run's grid and the page's grid for the same seed start from the same noise.
  const noise = tf.tensor2d(latents(seed, n, preset.latentDim, 0, 'any').z, [n, preset.latentDim]);
  const labels =
    preset.classes > 0
      ? tf.tensor2d(
          Array.from({ length: n }, (_, i) => Math.floor(i / SAMPLE_COLS)),
          [n, 1],
        )
      : null;
  return { noise, labels, rows };
}

/** Renders the generator in inference mode (BatchNorm running statistics) on the fixed inputs. */
export function sampleGridPng(generator: LayersModel, preset: Preset, seed: number): Buffer {
  const { noise, labels, rows } = sampleInputs(preset, seed);
  const images = tf.tidy(() =>
    (generator.predict(labels ? [noise, labels] : noise) as tf.Tensor).dataSync<'float32'>(),
  );
  tf.dispose([noise, labels].filter((t) => t !== null));
  return gridPng(images, rows, SAMPLE_COLS);
}
