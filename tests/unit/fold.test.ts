// Folding for inference on small hand-built models: each fold computes what the model computed
// (checked with random BatchNorm statistics, else a wrong fold could not fail), removes what it
// promises to remove, refuses what it cannot fold, and leaves everything else alone.
import * as tf from '@tensorflow/tfjs-core';
import { initializers, type LayersModel, layers, model, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../model/export/fold-batchnorm.ts';
import { foldClassEmbedding } from '../../model/export/fold-class-embedding.ts';
import { foldUpsampling } from '../../model/export/fold-upsampling.ts';
import { inferenceModel } from '../../model/export/inference.ts';
import { leakyAsPrelu } from '../../model/export/leaky-as-prelu.ts';
import { tanhAsSigmoid } from '../../model/export/tanh-as-sigmoid.ts';
import { selectBackend } from '../../train/backend.ts';
import { Rng } from '../../train/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});

let seed = 0;
const init = () => initializers.glorotUniform({ seed: seed++ });

/** Every weight random; BatchNorm statistics far from their initial 0/1 (variances > 0). */
function randomize(m: LayersModel, rng = new Rng(11)) {
  for (const w of m.weights) {
    const n = w.shape.reduce((a, b) => (a ?? 1) * (b ?? 1), 1) ?? 1;
    const v = rng.normals(n);
    const values = w.originalName.endsWith('moving_variance')
      ? v.map((x) => 0.1 + x * x)
      : w.originalName.endsWith('gamma')
        ? v.map((x) => 1 + 0.4 * x)
        : v.map((x) => 0.5 * x);
    w.write(tf.tensor(values, w.shape as number[]));
  }
  return m;
}

function outputs(m: LayersModel, inputs: tf.Tensor[]): Float32Array {
  return tf.tidy(() => (m.predict(inputs) as tf.Tensor).dataSync<'float32'>().slice());
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Same function: differences at float rounding, relative to the output's size. */
function expectSame(a: LayersModel, b: LayersModel, inputs: tf.Tensor[]) {
  const x = outputs(a, inputs);
  const y = outputs(b, inputs);
  expect(y.length).toBe(x.length);
  expect(maxDiff(x, y)).toBeLessThan(1e-5 * Math.max(1, maxAbs(x)));
}

const classes = (m: LayersModel) => m.layers.map((l) => l.getClassName());
const images = (n: number, shape: number[], s = 1) =>
  tf.tensor(new Rng(s).normals(n * shape.reduce((a, b) => a * b, 1)), [n, ...shape]);

describe('foldBatchNorm', () => {
  it('folds into Dense (with and without bias), Conv2D and Conv2DTranspose: same outputs, no BatchNorm', () => {
    const x = layers.input({ shape: [12], name: 'noise' });
    let h = layers.dense({ units: 4 * 4 * 6, useBias: false, kernelInitializer: init() }).apply(x);
    h = layers.batchNormalization().apply(h);
    h = layers.leakyReLU({ alpha: 0.2 }).apply(h);
    h = layers.reshape({ targetShape: [4, 4, 6] }).apply(h);
    h = layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', kernelInitializer: init() }).apply(h);
    h = layers.batchNormalization({ epsilon: 0.01 }).apply(h);
    h = layers.leakyReLU().apply(h);
    h = layers
      .conv2dTranspose({ filters: 3, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: init() })
      .apply(h);
    h = layers.batchNormalization({ center: false }).apply(h);
    h = layers.flatten().apply(h);
    h = layers.dense({ units: 7, kernelInitializer: init() }).apply(h);
    const out = layers.batchNormalization({ scale: false }).apply(h) as SymbolicTensor;
    const m = randomize(model({ inputs: x, outputs: out }));
    const folded = foldBatchNorm(m);
    expect(classes(folded)).not.toContain('BatchNormalization');
    expect(classes(m).filter((c) => c === 'BatchNormalization')).toHaveLength(4);
    expect(folded.inputNames).toEqual(['noise']);
    // Every folded layer carries a bias now.
    for (const l of folded.layers.filter((l) =>
      ['Dense', 'Conv2D', 'Conv2DTranspose'].includes(l.getClassName()),
    ))
      expect(l.getConfig().useBias).toBe(true);
    // BatchNorm's four vectors per channel became (at most) one bias per channel.
    expect(folded.countParams()).toBeLessThan(m.countParams());
    expectSame(m, folded, [images(9, [12])]);
  });

  it('refuses a BatchNorm it cannot fold, naming it and what it follows', () => {
    const x = layers.input({ shape: [8] });
    const act = layers.leakyReLU({ name: 'act' }).apply(layers.dense({ units: 4 }).apply(x));
    const afterAct = layers.batchNormalization({ name: 'bn_after_act' }).apply(act) as SymbolicTensor;
    expect(() => foldBatchNorm(model({ inputs: x, outputs: afterAct }))).toThrow(
      'cannot fold BatchNormalization layer "bn_after_act": it follows "act" (LeakyReLU)',
    );

    const relu = layers.dense({ units: 4, activation: 'relu', name: 'relu_dense' }).apply(x);
    const afterRelu = layers.batchNormalization({ name: 'bn_after_relu' }).apply(relu) as SymbolicTensor;
    expect(() => foldBatchNorm(model({ inputs: x, outputs: afterRelu }))).toThrow(
      /layer "bn_after_relu": it follows "relu_dense" \(Dense\) with a relu activation/,
    );

    // The Dense's output is read by the BatchNorm and by a second branch: folding would change it.
    const shared = layers.dense({ units: 4, name: 'shared' }).apply(x) as SymbolicTensor;
    const bn = layers.batchNormalization({ name: 'bn_shared' }).apply(shared) as SymbolicTensor;
    const both = layers.add().apply([bn, shared]) as SymbolicTensor;
    expect(() => foldBatchNorm(model({ inputs: x, outputs: both }))).toThrow(
      /layer "bn_shared": "shared"'s output is also read elsewhere/,
    );
  });

  it('leaves a model without BatchNorm as it was (inputs, names and outputs)', () => {
    const z = layers.input({ shape: [5], name: 'z' });
    const y = layers.input({ shape: [3], name: 'y' });
    const h = layers.concatenate().apply([z, y]);
    const out = layers.dense({ units: 2, name: 'head' }).apply(h) as SymbolicTensor;
    const m = randomize(model({ inputs: [z, y], outputs: out }));
    const copy = foldBatchNorm(m);
    expect(copy.inputNames).toEqual(['z', 'y']);
    expect(copy.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(outputs(copy, [images(4, [5]), images(4, [3], 2)])).toEqual(
      outputs(m, [images(4, [5]), images(4, [3], 2)]),
    );
  });
});

describe('foldUpsampling', () => {
  function upConv(kernelSize: number | [number, number], activation: 'tanh' | 'linear' = 'tanh') {
    const x = layers.input({ shape: [6, 5, 3] });
    const up = layers.upSampling2d({ size: [2, 2] }).apply(x);
    const out = layers
      .conv2d({ filters: 2, kernelSize, padding: 'same', activation, kernelInitializer: init() })
      .apply(up) as SymbolicTensor;
    return randomize(model({ inputs: x, outputs: out }));
  }

  it('turns 2× nearest upsampling + a 5×5 (or 7×7, or 5×3) conv into a sub-pixel conv: same outputs', () => {
    for (const k of [5, 7, [5, 3]] as const) {
      const m = upConv(k as number | [number, number]);
      const folded = foldUpsampling(m);
      expect(classes(folded)).not.toContain('UpSampling2D');
      expect(classes(folded)).toEqual(['InputLayer', 'Conv2D', 'Reshape', 'Permute', 'Reshape']);
      expect(folded.outputs[0].shape).toEqual([null, 12, 10, 2]);
      expectSame(m, folded, [images(3, [6, 5, 3])]);
    }
  });

  it('leaves a 3×3 conv alone: on the small image it would need 4× the weights for the same work', () => {
    const m = upConv(3);
    expect(classes(foldUpsampling(m))).toEqual(classes(m));
  });
});

describe('foldClassEmbedding', () => {
  it('turns embedding + concat + Dense into a scaled one-hot and E·W rows: same outputs, fewer weights', () => {
    const z = layers.input({ shape: [6], name: 'noise' });
    const label = layers.input({ shape: [1], name: 'label' });
    const e = layers.flatten().apply(layers.embedding({ inputDim: 4, outputDim: 9 }).apply(label));
    const h = layers.concatenate().apply([z, e as SymbolicTensor]);
    const out = layers.dense({ units: 5, kernelInitializer: init() }).apply(h) as SymbolicTensor;
    const m = randomize(model({ inputs: [z, label], outputs: out }));
    // Make the table's rows large against the rest of the kernel, as in a trained generator.
    const emb = m.weights.find((w) => w.originalName.endsWith('embeddings'))!;
    emb.write(tf.tidy(() => tf.mul(emb.read(), 8)));
    const folded = foldClassEmbedding(m);
    expect(folded.inputNames).toEqual(['noise', 'label']);
    expect(folded.countParams()).toBe(m.countParams() - 4 * 9 - 9 * 5 + 4 * 4 + 4 * 5);
    // The one-hot is c·I with c a power of two (exact), sized so the kernel keeps its range.
    const oneHot = folded.weights
      .find((w) => w.originalName.endsWith('embeddings'))!
      .read()
      .arraySync() as number[][];
    const c = oneHot[0][0];
    expect(Math.log2(c) % 1).toBe(0);
    expect(c).toBeGreaterThan(1);
    expect(oneHot).toEqual(oneHot.map((row, i) => row.map((_, j) => (i === j ? c : 0))));
    const labels = tf.tensor2d([0, 1, 2, 3, 3, 1], [6, 1]);
    expectSame(m, folded, [images(6, [6]), labels]);
  });
});

describe('leakyAsPrelu', () => {
  const slopes = (m: LayersModel) =>
    m.layers
      .filter((l) => l.getClassName() === 'PReLU')
      .map((l) => ({ shape: l.getWeights()[0].shape, values: [...new Set(l.getWeights()[0].dataSync())] }));

  it('turns each LeakyReLU into a PReLU with every slope α, one per channel: same outputs', () => {
    const x = layers.input({ shape: [10] });
    let h = layers.dense({ units: 3 * 3 * 4, kernelInitializer: init() }).apply(x);
    h = layers.leakyReLU({ alpha: 0.2 }).apply(h);
    h = layers.reshape({ targetShape: [3, 3, 4] }).apply(h);
    h = layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', kernelInitializer: init() }).apply(h);
    h = layers.leakyReLU({ alpha: 0.3 }).apply(h);
    h = layers.flatten().apply(h);
    h = layers.dense({ units: 6, kernelInitializer: init() }).apply(h);
    const out = layers.leakyReLU({ alpha: 0.1 }).apply(h) as SymbolicTensor; // flat, and the output
    const m = randomize(model({ inputs: x, outputs: out }));
    const p = leakyAsPrelu(m);
    expect(classes(p)).not.toContain('LeakyReLU');
    // The flat one before the Reshape moved behind it: per channel of the image, not per element.
    expect(classes(p).slice(1, 5)).toEqual(['Dense', 'Reshape', 'PReLU', 'Conv2D']);
    expect(slopes(p)).toEqual([
      { shape: [1, 1, 4], values: [Math.fround(0.2)] },
      { shape: [1, 1, 5], values: [Math.fround(0.3)] },
      { shape: [6], values: [Math.fround(0.1)] },
    ]);
    const z = images(7, [10]);
    // Exact: the same multiplications, other kernels.
    expect(outputs(p, [z])).toEqual(outputs(m, [z]));
  });

  it('keeps a flat LeakyReLU where something besides a Reshape reads it', () => {
    const x = layers.input({ shape: [4] });
    const act = layers.leakyReLU({ alpha: 0.2 }).apply(layers.dense({ units: 4 }).apply(x)) as SymbolicTensor;
    const img = layers.reshape({ targetShape: [2, 2, 1] }).apply(act);
    const both = layers.add().apply([layers.flatten().apply(img) as SymbolicTensor, act]) as SymbolicTensor;
    const m = randomize(model({ inputs: x, outputs: both }));
    const p = leakyAsPrelu(m);
    expect(slopes(p)).toEqual([{ shape: [4], values: [Math.fround(0.2)] }]);
    expect(outputs(p, [images(3, [4])])).toEqual(outputs(m, [images(3, [4])]));
  });
});

describe('tanhAsSigmoid', () => {
  it("turns a Conv2D's tanh into 2·sigmoid(2x) − 1: same outputs up to rounding, other convolutions alone", () => {
    const x = layers.input({ shape: [5, 5, 2] });
    let h = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    h = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(h);
    const m = randomize(model({ inputs: x, outputs: h as SymbolicTensor }));
    const t = tanhAsSigmoid(m);
    expect(classes(t)).toEqual(['InputLayer', 'Conv2D', 'Conv2D', 'Rescaling']);
    expect(t.layers.map((l) => l.getConfig().activation)).toEqual([undefined, 'relu', 'sigmoid', undefined]);
    const z = images(4, [5, 5, 2]);
    const [a, b] = [outputs(m, [z]), outputs(t, [z])];
    expect(maxDiff(a, b)).toBeLessThan(1e-6);
    // Not vacuous: the outputs span tanh's range.
    expect(Math.min(...a)).toBeLessThan(-0.9);
    expect(Math.max(...a)).toBeGreaterThan(0.9);
  });
});

describe('inferenceModel', () => {
  it('is idempotent: folding a folded model changes nothing', () => {
    const x = layers.input({ shape: [8], name: 'noise' });
    let h = layers.dense({ units: 4 * 4 * 3, useBias: false, kernelInitializer: init() }).apply(x);
    h = layers.batchNormalization().apply(h);
    h = layers.leakyReLU({ alpha: 0.2 }).apply(h);
    h = layers.reshape({ targetShape: [4, 4, 3] }).apply(h);
    h = layers.upSampling2d({ size: [2, 2] }).apply(h);
    const out = layers.conv2d({ filters: 1, kernelSize: 5, padding: 'same', activation: 'tanh' }).apply(h);
    const m = randomize(model({ inputs: x, outputs: out as SymbolicTensor }));
    const once = inferenceModel(m);
    const twice = inferenceModel(once);
    expect(classes(twice)).toEqual(classes(once));
    expect(twice.weights.map((w) => w.shape)).toEqual(once.weights.map((w) => w.shape));
    const z = images(5, [8]);
    expect(outputs(twice, [z])).toEqual(outputs(once, [z]));
    expectSame(m, once, [z]);
  });
});
