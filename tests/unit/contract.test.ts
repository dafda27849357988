import { describe, expect, it } from 'vitest';
import {
  DEQUANTIZE,
  MANIFEST_SCHEMA,
  type Manifest,
  type ManifestV2,
  type ManifestV3,
  MODEL_OUTPUT,
  type ModelInputV2,
  manifestSchema,
  modelEntry,
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
/** Schema 2's inputs, as its exporter wrote them (no feed order, no valid values). */
const inputsV2 = (latentDim: number, classes: number): ModelInputV2[] =>
  modelInputs(latentDim, classes).map(({ order: _o, values: _v, ...input }) => input);
const v2: ManifestV2 = {
  ...valid,
  schema: 2,
  output: MODEL_OUTPUT,
  files: [
    ...valid.files,
    { path: 'samples.png', bytes: 4321, sha256: sha },
    { path: 'losses.svg', bytes: 99, sha256: sha },
  ],
  inputs: inputsV2(64, 10),
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
      inputs: inputsV2(64, 0),
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
    ['inputs in the wrong order', { inputs: [...inputsV2(64, 10)].reverse() }],
    ['a noise size other than latentDim', { inputs: inputsV2(100, 10) }],
    ['a conditional model without its label', { inputs: inputsV2(64, 0) }],
    ['schema 3 fields', { model: modelEntry('uint8') }],
    ['schema 3 inputs', { inputs: modelInputs(64, 10) }],
    [
      'an input with neither distribution nor encoding',
      { inputs: [{ name: 'noise', shape: [null, 64], dtype: 'float32' }] },
    ],
    ['per-class accuracy missing', { metrics: { ...valid.metrics } }],
    ['per-class accuracy of the wrong length', { metrics: { ...valid.metrics, perClassAccuracy: [1, 1] } }],
    ['another layout', { output: { ...MODEL_OUTPUT, layout: 'NCHW' } }],
    ['schema 1 with schema 2 fields', { schema: 1 }],
    ['an unknown schema', { schema: 4 }],
  ])('rejects %s', (_, change) => {
    expect(manifestSchema.safeParse({ ...v2, ...change }).success).toBe(false);
  });
});

const v3: ManifestV3 = {
  ...v2,
  schema: 3,
  model: modelEntry('uint8'),
  inputs: modelInputs(64, 10),
};

/** The one-line messages of a rejected manifest, as `path: message`. */
function problems(m: unknown): string[] {
  const r = manifestSchema.safeParse(m);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('manifest contract, schema 3 (nothing left to guess)', () => {
  it('is what new exports write: the model file, its format and dequantization, feed order, valid labels', () => {
    expect(MANIFEST_SCHEMA).toBe(3);
    expect(manifestSchema.parse(v3)).toEqual(v3);
    expect(v3.model).toEqual({
      file: 'model.json',
      format: 'tfjs-layers',
      dequantize:
        "value = q * scale + min (q: the stored byte; scale, min: the weight's quantization in model.json)",
    });
    expect(v3.inputs).toEqual([
      { name: 'noise', order: 0, shape: [null, 64], dtype: 'float32', distribution: 'normal(0,1)' },
      {
        name: 'label',
        order: 1,
        shape: [null, 1],
        dtype: 'float32',
        encoding: 'class index 0-9',
        values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      },
    ]);
    // The keys in the order a reader of the JSON meets them: the model before its files.
    const keys = Object.keys(manifestSchema.parse(JSON.parse(JSON.stringify(v3))));
    expect(keys.indexOf('model')).toBe(keys.indexOf('quantization') + 1);
    for (const q of ['float16', 'float32'] as const)
      expect(problems({ ...v3, quantization: q, model: modelEntry(q) })).toEqual([]);
    const unconditional = {
      ...v3,
      preset: 'fast',
      classes: 0,
      inputs: modelInputs(64, 0),
      metrics: { ...v3.metrics, classAccuracy: null, perClassAccuracy: null },
    };
    expect(problems(unconditional)).toEqual([]);
  });

  const [noise, label] = modelInputs(64, 10);
  it.each([
    ['no model entry', { model: undefined }, 'model: Invalid input'],
    [
      'another model file',
      { model: { ...modelEntry('uint8'), file: 'weights.bin' } },
      'model.file: Invalid input: expected "model.json"',
    ],
    [
      'another format',
      { model: { ...modelEntry('uint8'), format: 'onnx' } },
      'model.format: Invalid input: expected "tfjs-layers"',
    ],
    [
      "another quantization's rule",
      { model: modelEntry('float16') },
      `model.dequantize: uint8 weights are read as: ${DEQUANTIZE.uint8}`,
    ],
    ['inputs without their order', { inputs: inputsV2(64, 10) }, 'inputs.0.order: Invalid input'],
    [
      'an order other than the list’s',
      { inputs: [noise, { ...label, order: 3 }] },
      'inputs.1.order: the inputs are listed in feed order: 1 here',
    ],
    [
      'inputs listed out of feed order',
      { inputs: [label, noise] },
      'inputs.0.order: the inputs are listed in feed order: 0 here',
    ],
    [
      'a label without its values',
      { inputs: [noise, { ...label, values: undefined }] },
      'inputs.1.values: a condition input lists its valid values, a noise input none',
    ],
    [
      'noise with values',
      { inputs: [{ ...noise, values: [0, 1] }, label] },
      'inputs.0.values: a condition input lists its valid values, a noise input none',
    ],
    [
      'label values other than the classes',
      { inputs: [noise, { ...label, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }] },
      'inputs.1.values: the class indices 0 to 9, in order',
    ],
    [
      'fractional label values',
      { inputs: [noise, { ...label, values: [0.5] }] },
      'inputs.1.values.0: Invalid input: expected int, received number',
    ],
  ])('refuses %s, saying why', (_, change, message) => {
    expect(problems({ ...v3, ...change })).toContainEqual(expect.stringContaining(message));
  });
});
