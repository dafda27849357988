// Folding for inference on every preset's real generator, through the real exporter: the folded
// export (no BatchNormalization in model.json, loaded by stock loadLayersModel) computes what the
// trained generator computes; for fast-cond, the folded uint8 export stays within uint8 rounding
// of the unfolded uint8 export the exporter wrote before folding.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../../contract/index.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { inferenceModel } from '../../model/export/inference.ts';
import type { Quantization } from '../../model/export/quantize.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { selectBackend } from '../../train/backend.ts';
import { getPreset, type Preset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { absDiff } from '../array-diff.ts';

const root = mkdtempSync(join(tmpdir(), 'fold-'));
const metrics = (classes: number) => ({
  fid: 50,
  fidFloor: 1,
  inceptionScore: 5,
  classAccuracy: classes ? 0.5 : null,
  perClassAccuracy: classes ? Array.from({ length: classes }, () => 0.5) : null,
  precision: 0.5,
  recall: 0.5,
  classKL: 0.1,
  samples: 1000,
});
const training = {
  steps: 1,
  batchSize: 1,
  seconds: 1,
  backend: 'wasm' as const,
  device: 'test',
  commit: 'test',
  runUrl: '',
};

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * A preset's generator with BatchNorm statistics and affine parameters far from their initial
 * 0/1 (a fold that dropped any of them could not pass), spread about like the shipped model's
 * (γ 0.7–1.4, β ±0.45, mean ±1.7, variances within a factor of a few of each other).
 */
function generator(preset: Preset, seed: number): LayersModel {
  let i = seed * 1000;
  const g = preset.generator({ next: () => i++ });
  const rng = new Rng(seed);
  for (const w of g.weights) {
    const name = w.originalName;
    if (!name.includes('batch_normalization')) continue;
    const v = rng.normals(w.shape[0] as number);
    const values = name.endsWith('moving_variance')
      ? v.map((x) => Math.exp(0.3 * x))
      : name.endsWith('moving_mean')
        ? v.map((x) => 0.6 * x)
        : name.endsWith('gamma')
          ? v.map((x) => 1 + 0.2 * x)
          : v.map((x) => 0.15 * x);
    w.write(tf.tensor1d(values));
  }
  return g;
}

function inputs(preset: Preset, n: number): tf.Tensor[] {
  const z = tf.tensor2d(new Rng(7).normals(n * preset.latentDim), [n, preset.latentDim]);
  if (!preset.classes) return [z];
  return [
    z,
    tf.tensor2d(
      Float32Array.from({ length: n }, (_, i) => i % preset.classes),
      [n, 1],
    ),
  ];
}

function outputs(m: LayersModel, x: tf.Tensor[]): Float32Array {
  return tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync<'float32'>().slice());
}

const diffs = absDiff;

function exportTo(dir: string, g: LayersModel, preset: Preset, quantization: Quantization, unfolded = false) {
  exportGenerator(g, preset, join(root, dir), {
    quantization,
    metrics: metrics(preset.classes),
    training,
    unfolded,
  });
  return join(root, dir);
}

describe.each(PRESET_NAMES)('%s', (name) => {
  const preset = getPreset(name);

  it('the folded float32 export has no BatchNormalization and computes what the generator computes', async () => {
    const g = generator(preset, 3);
    const x = inputs(preset, 32);
    const reference = outputs(g, x);
    // Not saturated: the tanh output must still depend on the folded values for this to test them.
    expect(reference.filter((v) => Math.abs(v) < 0.9).length / reference.length).toBeGreaterThan(0.5);

    const dir = exportTo(`${name}-float32`, g, preset, 'float32');
    const json = readFileSync(join(dir, 'model.json'), 'utf8');
    expect(json).not.toContain('BatchNormalization');
    expect(json).toContain('"use_bias":true');
    const exported = await loadLayersModelFromDir(dir);
    expect(exported.inputNames).toEqual(g.inputNames);
    expect(exported.countParams()).toBeLessThan(g.countParams());
    // Float rounding only (measured ≤ 4e-6 through the four layers; a fold missing γ, β, the mean
    // or ε is off by 1e-2 or more).
    const d = diffs(outputs(exported, x), reference);
    expect(d.max).toBeLessThan(1e-4);
    exported.dispose();
    g.dispose();
  });
});

describe('fast-cond uint8', () => {
  it('the folded export stays within uint8 rounding of the unfolded uint8 export', async () => {
    const preset = getPreset('fast-cond');
    const g = generator(preset, 5);
    const x = inputs(preset, 200);
    const reference = outputs(g, x);
    const unfolded = await loadLayersModelFromDir(exportTo('u8-unfolded', g, preset, 'uint8', true));
    const folded = await loadLayersModelFromDir(exportTo('u8-folded', g, preset, 'uint8'));
    expect(JSON.stringify(unfolded.toJSON(null, false))).toContain('BatchNormalization');
    const before = outputs(unfolded, x);
    const after = outputs(folded, x);
    // The unfolded export's own rounding (per-tensor uint8, ≤ (max − min)/510 per weight).
    const rounding = diffs(before, reference);
    const foldedRounding = diffs(after, reference);
    const between = diffs(after, before);
    console.log(
      `uint8 vs float32: unfolded max ${rounding.max.toExponential(2)} mean ${rounding.mean.toExponential(2)}, ` +
        `folded max ${foldedRounding.max.toExponential(2)} mean ${foldedRounding.mean.toExponential(2)}; ` +
        `folded vs unfolded max ${between.max.toExponential(2)} mean ${between.mean.toExponential(2)}`,
    );
    // Folding rescales and recombines weights before they are rounded (a BatchNorm's 1/σ per column,
    // the sub-pixel kernel's sums of up to four taps), so the folded export rounds differently, by
    // about as much. Measured on the shipped model's trained weights (1,000 digits): error against
    // float32 1.05× the unfolded export's, folded vs unfolded 1.26× (two roundings, partly
    // independent; √2 if wholly). This generator's random 5×5 kernel widens more when its taps are
    // summed (measured 2.0× and 2.4×), so the bounds are 2.5× and 3× one rounding, in mean and in
    // max. A fold that drops β, the mean or the class table's scale is off by 10× or more (subtler
    // errors fail the float32 test above).
    expect(foldedRounding.mean).toBeLessThan(2.5 * rounding.mean);
    expect(between.mean).toBeLessThan(3 * rounding.mean);
    expect(between.max).toBeLessThan(3 * rounding.max);
    unfolded.dispose();
    folded.dispose();
    g.dispose();
  });
});

describe('inferenceModel', () => {
  it('fast-cond: BatchNorm, the class embedding and the last upsampling folded, LeakyReLU and tanh rewritten, the rest kept', () => {
    const g = generator(getPreset('fast-cond'), 1);
    const f = inferenceModel(g);
    expect(f.layers.map((l) => l.getClassName())).toEqual([
      'InputLayer',
      'Embedding',
      'InputLayer',
      'Flatten',
      'Concatenate',
      'Dense',
      'Reshape',
      'PReLU',
      'UpSampling2D',
      'Conv2D',
      'PReLU',
      'Conv2D',
      'Rescaling',
      'Reshape',
      'Permute',
      'Reshape',
    ]);
    // 282,945 weights as trained; the folded generator has 254,920, plus 64 + 32 PReLU slopes.
    expect([g.countParams(), f.countParams()]).toEqual([282_945, 255_016]);
    f.dispose();
    g.dispose();
  });
});
