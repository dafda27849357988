// What rejection sampling would cost a page: D's size, and G + D forward time per batch measured
// here in Node (a proxy for the browser: same tfjs kernels on the wasm backend, but Node's wasm has
// no threads and this machine is not a phone).
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Preset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

export interface DiscriminatorSize {
  params: number;
  /** One byte per weight as uint8 (TF.js's per-tensor affine encoding; min and scale sit in model.json). */
  uint8WeightBytes: number;
  /** Its model.json topology, which a page would fetch too (it names two custom layers a page must register). */
  topologyBytes: number;
}

export function discriminatorSize(d: LayersModel): DiscriminatorSize {
  return {
    params: d.countParams(),
    uint8WeightBytes: d.weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0),
    topologyBytes: new TextEncoder().encode(JSON.stringify(d.toJSON(null, false))).length,
  };
}

export interface ForwardTimes {
  backend: string;
  batch: number;
  /** Medians of `repeats` interleaved runs, milliseconds, each read back to the CPU. */
  generatorMs: number;
  generatorAndDiscriminatorMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Times G alone and G then D on `batch` digits, interleaved, after a warm-up. */
export function timeForward(
  generator: LayersModel,
  discriminator: LayersModel,
  preset: Preset,
  batch = 64,
  repeats = 21,
): ForwardTimes {
  const rng = new Rng('drs/timing');
  const run = (withD: boolean): number => {
    const started = performance.now();
    tf.tidy(() => {
      const z = tf.tensor2d(rng.normals(batch * preset.latentDim), [batch, preset.latentDim]);
      const y = tf.tensor2d(
        Array.from({ length: batch }, (_, i) => i % Math.max(preset.classes, 1)),
        [batch, 1],
      );
      const images = generator.predict(preset.classes > 0 ? [z, y] : z) as tf.Tensor;
      const out = withD
        ? (discriminator.predict(preset.classes > 0 ? [images, y] : images) as tf.Tensor)
        : images;
      out.dataSync();
    });
    return performance.now() - started;
  };
  for (let i = 0; i < 3; i++) run(true);
  const g: number[] = [];
  const gd: number[] = [];
  for (let i = 0; i < repeats; i++) {
    g.push(run(false));
    gd.push(run(true));
  }
  return { backend: tf.getBackend(), batch, generatorMs: median(g), generatorAndDiscriminatorMs: median(gd) };
}
