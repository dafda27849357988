import { describe, expect, it } from 'vitest';
import {
  type Manifest,
  type ManifestV2,
  MODEL_OUTPUT,
  manifestSchema,
  modelInputs,
  runtimeFiles,
} from '../../contract/index.ts';

const sha = 'a'.repeat(64);
const valid: Manifest = {
  schema: 1,
  name: 'mnist-gan',
  version: '20261127T160000Z-ab12cd34',
  createdAt: '2026-11-27T16:00:00Z',
  preset: 'fast-cond',
  latentDim: 64,
  classes: 10,
  output: { height: 28, width: 28, channels: 1, range: [-1, 1] },
  quantization: 'uint8',
  files: [
    { path: 'model.json', bytes: 1234, sha256: sha },
    { path: 'ab12cd34ef56.bin', bytes: 98765, sha256: sha },
  ],
  metrics: {
    fid: 12.9,
    fidFloor: 1.01,
    inceptionScore: 9.5,
    classAccuracy: 0.968,
    precision: 0.62,
    recall: 0.32,
    classKL: 0.003,
    samples: 10000,
  },
  training: {
    steps: 3211,
    batchSize: 64,
    seconds: 1800,
    backend: 'wasm',
    device: 'WASM SIMD',
    commit: 'abc',
    runUrl: '',
  },
};

describe('manifest contract, schema 1 (still read everywhere)', () => {
  it('accepts the design’s manifest', () => {
    expect(manifestSchema.parse(valid)).toEqual(valid);
  });
  it.each([
    ['a traversal file name', { files: [valid.files[0], { ...valid.files[1], path: '../latest.json' }] }],
    ['a folder in a file name', { files: [valid.files[0], { ...valid.files[1], path: 'models/x.bin' }] }],
    ['a hidden file', { files: [valid.files[0], { ...valid.files[1], path: '.env' }] }],
    ['no model.json', { files: [valid.files[1], { ...valid.files[1], path: 'b.bin' }] }],
    ['duplicate files', { files: [valid.files[0], valid.files[0]] }],
    ['a bad version', { version: '2026-11-27' }],
    ['a bad hash', { files: [valid.files[0], { ...valid.files[1], sha256: 'xyz' }] }],
    ['an unknown quantization', { quantization: 'int4' }],
    ['an unknown key', { extra: 1 }],
    ['an accuracy above 1', { metrics: { ...valid.metrics, classAccuracy: 1.2 } }],
  ])('rejects %s', (_, change) => {
    expect(manifestSchema.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});

const perClass = [0.99, 1, 0.98, 0.97, 0.99, 0.99, 1, 0.98, 0.97, 0.96];
const v2: ManifestV2 = {
  ...valid,
  schema: 2,
  output: MODEL_OUTPUT,
  files: [
    ...valid.files,
    { path: 'samples.png', bytes: 4321, sha256: sha },
    { path: 'losses.svg', bytes: 99, sha256: sha },
  ],
  inputs: modelInputs(64, 10),
  metrics: { ...valid.metrics, perClassAccuracy: perClass },
  card: 'A conditional GAN generator of MNIST digits.',
};

describe('manifest contract, schema 2 (self-describing)', () => {
  it('accepts the design’s manifest: inputs in predict() order, output, card, per-class accuracy', () => {
    expect(manifestSchema.parse(v2)).toEqual(v2);
    expect(v2.inputs).toEqual([
      { name: 'noise', shape: [null, 64], dtype: 'float32', distribution: 'normal(0,1)' },
      { name: 'label', shape: [null, 1], dtype: 'float32', encoding: 'class index 0-9' },
    ]);
    expect(v2.output).toMatchObject({ shape: [null, 28, 28, 1], layout: 'NHWC', range: [-1, 1] });
    // An unconditional model: the noise alone, no per-class accuracy.
    const unconditional = {
      ...v2,
      preset: 'fast',
      classes: 0,
      inputs: modelInputs(64, 0),
      metrics: { ...v2.metrics, classAccuracy: null, perClassAccuracy: null },
    };
    expect(manifestSchema.safeParse(unconditional).success).toBe(true);
    // Without losses.svg (a run that had none), or any documentation file: not needed to run it.
    expect(manifestSchema.safeParse({ ...v2, files: v2.files.slice(0, 3) }).success).toBe(true);
    expect(manifestSchema.safeParse({ ...v2, files: v2.files.slice(0, 2) }).success).toBe(true);
  });

  it('the runtime needs model.json and its shards, not the documentation files', () => {
    expect(runtimeFiles(v2).map((f) => f.path)).toEqual(['model.json', 'ab12cd34ef56.bin']);
    expect(runtimeFiles(valid)).toEqual(valid.files);
  });

  it.each([
    ['no card', { card: '' }],
    ['no inputs', { inputs: [] }],
    ['inputs in the wrong order', { inputs: [...modelInputs(64, 10)].reverse() }],
    ['a noise size other than latentDim', { inputs: modelInputs(100, 10) }],
    ['a conditional model without its label', { inputs: modelInputs(64, 0) }],
    [
      'an input with neither distribution nor encoding',
      { inputs: [{ name: 'noise', shape: [null, 64], dtype: 'float32' }] },
    ],
    ['per-class accuracy missing', { metrics: { ...valid.metrics } }],
    ['per-class accuracy of the wrong length', { metrics: { ...valid.metrics, perClassAccuracy: [1, 1] } }],
    ['another layout', { output: { ...MODEL_OUTPUT, layout: 'NCHW' } }],
    ['schema 1 with schema 2 fields', { schema: 1 }],
    ['an unknown schema', { schema: 3 }],
  ])('rejects %s', (_, change) => {
    expect(manifestSchema.safeParse({ ...v2, ...change }).success).toBe(false);
  });
});
