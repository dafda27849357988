// A whole GAN step's gradients (D's loss w.r.t. D, G's loss w.r.t. G) on wasm with the project's
// kernels against tfjs's stock cpu backend, on real digits, for every preset.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, type PresetName } from '../../contract/index.ts';
import { registerCpuFixes, selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { createGan } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

const mnist = loadMnist('test');
const BATCH = 3;

interface Grads {
  d: Float32Array[];
  g: Float32Array[];
  weights: Float32Array[];
}

/** Runs on the current backend; everything random comes from `Rng(seed)`, so both backends see the same. */
function stepGradients(name: PresetName): Grads {
  const preset = getPreset(name);
  const rng = new Rng(11);
  const trainer = createGan(preset, { next: () => rng.seed() }, { lr: 1e-3, beta1: 0.9 });
  const batch = new Batches(mnist, preset, BATCH, 11).batch(0, rng);
  const weights = trainer.generator
    .getWeights()
    .concat(trainer.discriminator.getWeights())
    .map((w) => w.dataSync<'float32'>().slice());
  const fake = trainer.generate(batch);
  const d = tf.variableGrads(() => trainer.discriminatorLoss(batch, fake).loss, trainer.dVars);
  const g = tf.variableGrads(() => trainer.generatorLoss(batch).loss, trainer.gVars);
  const out = {
    d: trainer.dVars.map((v) => d.grads[v.name].dataSync<'float32'>().slice()),
    g: trainer.gVars.map((v) => g.grads[v.name].dataSync<'float32'>().slice()),
    weights,
  };
  tf.dispose([fake, d.value, g.value, ...Object.values(d.grads), ...Object.values(g.grads)]);
  disposeBatch(batch);
  trainer.dispose();
  return out;
}

/** max |a - b| relative to the largest |b| of the tensor (so tiny entries don't dominate). */
function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

describe('whole-step gradients: wasm (project kernels) vs stock cpu', () => {
  it.each(PRESET_NAMES)('%s', async (name) => {
    await tf.setBackend('cpu');
    // Stock cpu's ResizeNearestNeighborGrad is wrong for batch > 1 (see resize-nearest-grad-cpu.ts).
    await registerCpuFixes();
    const cpu = stepGradients(name);
    await selectBackend('wasm', false, () => {});
    const wasm = stepGradients(name);
    // Same seeded initialisation on both backends.
    expect(wasm.weights.map((w, i) => relError(w, cpu.weights[i]))).toEqual(cpu.weights.map(() => 0));
    const errors = [
      ...wasm.d.map((x, i) => relError(x, cpu.d[i])),
      ...wasm.g.map((x, i) => relError(x, cpu.g[i])),
    ];
    expect(errors.length).toBeGreaterThan(4);
    // Every gradient is non-trivial on cpu, and wasm matches it.
    for (const gr of [...cpu.d, ...cpu.g]) expect(gr.some((v) => v !== 0)).toBe(true);
    expect(Math.max(...errors)).toBeLessThan(1e-4);
  });
});
