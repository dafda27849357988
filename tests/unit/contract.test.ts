import { describe, expect, it } from 'vitest';
import { type Manifest, manifestSchema } from '../../contract/index.ts';

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

describe('manifest contract', () => {
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
