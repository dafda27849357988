// The page's views, drawn in Node from the page's own latents (contract/latent.ts): what a visitor
// sees for a seed, to look at before a model ships. Same noise, same labels, same layout.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type Latents, latents, styleLatents } from '../../contract/index.ts';
import type { Preset } from '../../train/models/presets.ts';
import { gridPng } from '../../train/samples.ts';

export interface View {
  /** File name stem, e.g. `any-seed-3`. */
  name: string;
  latents: Latents;
  rows: number;
  cols: number;
}

/** The views the digits issue names: 64 "any" at seeds 1–5, 16 × "8" at seed 1, the 10-row style grid at seeds 1–10. */
export function pageViews(preset: Preset): View[] {
  const dim = preset.latentDim;
  const views: View[] = [];
  for (let seed = 1; seed <= 5; seed++)
    views.push({
      name: `any-seed-${seed}`,
      latents: latents(seed, 64, dim, preset.classes, 'any'),
      rows: 8,
      cols: 8,
    });
  if (preset.classes > 0) {
    views.push({ name: 'eights-seed-1', latents: latents(1, 16, dim, preset.classes, 8), rows: 4, cols: 4 });
    for (let seed = 1; seed <= 10; seed++)
      views.push({
        name: `style-seed-${seed}`,
        latents: styleLatents(seed, 10, dim, preset.classes),
        rows: 10,
        cols: preset.classes,
      });
  }
  return views;
}

/** The generator's digits for a view (inference mode), values in [-1, 1]. */
export function drawView(generator: LayersModel, preset: Preset, v: View): Float32Array {
  const n = v.rows * v.cols;
  return tf.tidy(() => {
    const z = tf.tensor2d(v.latents.z, [n, preset.latentDim]);
    const inputs = v.latents.labels ? [z, tf.tensor2d(Float32Array.from(v.latents.labels), [n, 1])] : z;
    return (generator.predict(inputs) as tf.Tensor).dataSync<'float32'>();
  });
}

/** A view as the PNG the page would show (4× pixels, thin gaps). */
export const viewPng = (generator: LayersModel, preset: Preset, v: View): Buffer =>
  gridPng(drawView(generator, preset, v), v.rows, v.cols, 4);

/** A grey that shows as the grid's gaps (byte 40): the band between two models' digits. */
const BAND = 40 / 127.5 - 1;

/**
 * Two generators' digits for the same view side by side, `a` left and `b` right, a grey band between:
 * the same noise and labels, to compare by eye.
 */
export function sideBySidePng(a: LayersModel, b: LayersModel, preset: Preset, v: View): Buffer {
  const [da, db] = [drawView(a, preset, v), drawView(b, preset, v)];
  const digit = 28 * 28;
  const row = v.cols * digit;
  const cols = 2 * v.cols + 1;
  const out = new Float32Array(v.rows * cols * digit).fill(BAND);
  for (let r = 0; r < v.rows; r++) {
    out.set(da.subarray(r * row, (r + 1) * row), r * cols * digit);
    out.set(db.subarray(r * row, (r + 1) * row), (r * cols + v.cols + 1) * digit);
  }
  return gridPng(out, v.rows, cols, 4);
}
