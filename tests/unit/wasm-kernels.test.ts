// The wasm training kernels (train/kernels) against tfjs's cpu backend as the reference.
// Error metric everywhere: relErr(a, ref) = max_i |a_i - ref_i| / max(1, max_i |ref_i|), must be <= 1e-4.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Registers tfjs-core's gradients (tfjs-core alone does not), as in the training job.
import '@tensorflow/tfjs-layers';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniform } from '../../contract/index.ts';
import { conv2DBackpropInputTuning } from '../../train/kernels/conv2d-backprop-input.ts';
import {
  originalWasmKernel,
  registerWasmTrainingKernels,
  stockBatchNormGradConfig,
  wasmTrainingKernelsActive,
} from '../../train/kernels/wasm-training.ts';

const TOL = 1e-4;

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];
interface Arr {
  shape: number[];
  values: Float32Array;
}

function relErr(a: Arr, ref: Arr): number {
  expect(a.shape).toEqual(ref.shape);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < ref.values.length; i++) {
    diff = Math.max(diff, Math.abs(a.values[i] - ref.values[i]));
    scale = Math.max(scale, Math.abs(ref.values[i]));
  }
  // NaN anywhere must fail, not slip through Math.max.
  return Number.isNaN(diff) || a.values.some(Number.isNaN) ? Number.POSITIVE_INFINITY : diff / scale;
}

/** Seeded uniform [-1, 1) values (the contract's PRNG). */
function random(shape: number[], seed: number): Arr {
  const u = uniform(seed);
  const values = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < values.length; i++) values[i] = u() * 2 - 1;
  return { shape, values };
}

const toTensor = (a: Arr): tf.Tensor => tf.tensor(a.values, a.shape);
const fromTensor = (t: tf.Tensor): Arr => ({
  shape: t.shape.slice(),
  values: new Float32Array(t.dataSync()),
});

/** Runs fn on a backend with fresh tensors built from plain arrays; returns plain arrays. */
async function on(
  backend: 'cpu' | 'wasm',
  inputs: Arr[],
  fn: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Arr[]> {
  await tf.setBackend(backend);
  return tf
    .tidy(() => fn(...inputs.map(toTensor)))
    .map((t) => {
      const out = fromTensor(t);
      t.dispose();
      return out;
    });
}

/** Same computation on wasm and cpu; every output must agree within TOL. Returns the errors. */
async function compare(inputs: Arr[], fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<number[]> {
  const ref = await on('cpu', inputs, fn);
  const got = await on('wasm', inputs, fn);
  const errs = got.map((g, i) => relErr(g, ref[i]));
  for (const e of errs) expect(e).toBeLessThanOrEqual(TOL);
  return errs;
}

interface ConvCase {
  x: Shape4;
  k: [number, number];
  co: number;
  s: number | [number, number];
  pad: Pad;
  round?: 'floor' | 'round' | 'ceil';
}

const CONV_CASES: ConvCase[] = [
  { x: [1, 7, 7, 3], k: [3, 3], co: 4, s: 1, pad: 'same' },
  { x: [2, 9, 9, 2], k: [5, 5], co: 3, s: 2, pad: 'same' },
  { x: [3, 8, 8, 3], k: [4, 4], co: 2, s: 2, pad: 'same' },
  { x: [2, 11, 10, 2], k: [3, 3], co: 3, s: 2, pad: 'valid' },
  { x: [2, 13, 13, 2], k: [4, 4], co: 2, s: 2, pad: 'valid' },
  { x: [2, 10, 9, 3], k: [5, 5], co: 2, s: 1, pad: 'valid' },
  { x: [2, 7, 7, 3], k: [1, 1], co: 4, s: 2, pad: 'valid' }, // K < s
  { x: [1, 6, 5, 2], k: [1, 1], co: 3, s: 2, pad: 'same' }, // K < s
  { x: [2, 8, 8, 2], k: [2, 2], co: 3, s: 3, pad: 'same' }, // K < s, three phases per axis
  { x: [2, 10, 11, 2], k: [3, 3], co: 2, s: 3, pad: 'valid' },
  { x: [2, 9, 8, 2], k: [3, 5], co: 3, s: 2, pad: 'same' }, // non-square filter
  { x: [2, 9, 9, 2], k: [3, 3], co: 2, s: 2, pad: 1, round: 'floor' },
  {
    x: [2, 9, 10, 2],
    k: [3, 4],
    co: 3,
    s: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [2, 9, 9, 2], k: [3, 3], co: 2, s: [2, 1], pad: 'same' }, // unequal strides
  { x: [2, 8, 11, 3], k: [4, 3], co: 2, s: [1, 3], pad: 'valid' },
  { x: [4, 14, 14, 16], k: [5, 5], co: 32, s: 2, pad: 'same' }, // GAN-like layer
  { x: [3, 28, 28, 1], k: [5, 5], co: 8, s: 2, pad: 'same' }, // one input channel
];

const label = (c: ConvCase): string =>
  `x=[${c.x}] k=${c.k} co=${c.co} s=${c.s} pad=${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;
const CONV_TABLE = CONV_CASES.map((c) => [label(c), c] as const);

/** Kernel attrs of the conv described by c, plus the kernel-specific shape attr. */
function convAttrs(c: ConvCase, extra: tf.NamedAttrMap): tf.NamedAttrMap {
  return {
    strides: c.s,
    pad: c.pad,
    dataFormat: 'NHWC',
    ...(c.round ? { dimRoundingMode: c.round } : {}),
    ...extra,
  };
}

function convOutShape(c: ConvCase): Shape4 {
  return tf.backend_util.computeConv2DInfo(c.x, [...c.k, c.x[3], c.co], c.s, 1, c.pad, c.round)
    .outShape as Shape4;
}

// Conv2DBackpropInput has two paths (sub-pixel convs, and GEMM + col2im for few input channels); the
// suites that touch it run once per path, forced through the tuning knob, plus once on the default.
const STRATEGIES = [
  ['auto', conv2DBackpropInputTuning.col2imMaxInChannels],
  ['sub-pixel', -1],
  ['col2im', Number.POSITIVE_INFINITY],
] as const;

function useStrategy(limit: number): void {
  const saved = conv2DBackpropInputTuning.col2imMaxInChannels;
  beforeAll(() => {
    conv2DBackpropInputTuning.col2imMaxInChannels = limit;
  });
  afterAll(() => {
    conv2DBackpropInputTuning.col2imMaxInChannels = saved;
  });
}

/** Temporarily wraps a wasm kernel to count its calls while fn runs. */
function countKernel<T>(name: string, fn: () => T): { result: T; calls: number } {
  const original = tf.getKernel(name, 'wasm');
  if (original == null) throw new Error(`wasm ${name} missing`);
  let calls = 0;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      calls++;
      return original.kernelFunc(args);
    },
  });
  try {
    const result = fn();
    return { result, calls };
  } finally {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
});

describe('registration', () => {
  it('installs the kernels and BN gradient once, remembering the stock ones', () => {
    expect(wasmTrainingKernelsActive()).toBe(true);
    for (const name of [tf.Conv2DBackpropInput, tf.BatchMatMul]) {
      const original = originalWasmKernel(name);
      expect(original).toBeDefined();
      expect(original?.kernelFunc).not.toBe(tf.getKernel(name, 'wasm')?.kernelFunc);
      expect(tf.getKernel(name, 'wasm')?.setupFunc).toBe(original?.setupFunc);
    }
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
    expect(stockBatchNormGradConfig()).toBeDefined();
    expect(tf.getGradient(tf.FusedBatchNorm)).not.toBe(stockBatchNormGradConfig());
  });

  /** Calls of `kernel` while Conv2DBackpropInput runs once on ones. */
  function callsDuring(kernel: string, ci: number, strides: number | [number, number] = 2, k = 3): number {
    const x: Shape4 = [1, 9, 8, ci];
    const dyShape = convOutShape({ x, k: [k, k], co: 5, s: strides, pad: 'same' });
    const attrs = { strides, pad: 'same', dataFormat: 'NHWC', inputShape: x };
    return countKernel(kernel, () => {
      const inputs = { dy: tf.ones(dyShape), filter: tf.ones([k, k, ci, 5]) };
      tf.dispose([
        tf.engine().runKernel(tf.Conv2DBackpropInput, inputs, attrs) as tf.Tensor,
        inputs.dy,
        inputs.filter,
      ]);
    }).calls;
  }

  it('Conv2DBackpropInput uses one matmul for few input channels, sub-pixel convs otherwise', async () => {
    await tf.setBackend('wasm');
    expect(conv2DBackpropInputTuning.col2imMaxInChannels).toBeGreaterThanOrEqual(1);
    expect([callsDuring(tf.BatchMatMul, 1), callsDuring(tf.Conv2D, 1)]).toEqual([1, 0]);
    expect([callsDuring(tf.BatchMatMul, 16), callsDuring(tf.Conv2D, 16)]).toEqual([0, 4]);
  });

  it('the sub-pixel path runs one stride-1 conv per non-empty phase', async () => {
    await tf.setBackend('wasm');
    const saved = conv2DBackpropInputTuning.col2imMaxInChannels;
    conv2DBackpropInputTuning.col2imMaxInChannels = -1;
    try {
      expect(callsDuring(tf.Conv2D, 2, 1)).toBe(1);
      expect(callsDuring(tf.Conv2D, 2, 2)).toBe(4);
      expect(callsDuring(tf.Conv2D, 2, 3)).toBe(9);
      expect(callsDuring(tf.Conv2D, 2, [2, 1])).toBe(2);
      expect(callsDuring(tf.Conv2D, 2, 2, 1)).toBe(1); // K < s: three of the four phases are zeros
    } finally {
      conv2DBackpropInputTuning.col2imMaxInChannels = saved;
    }
  });

  it('Conv2DBackpropInput leaves NCHW to the stock kernel, which still matches cpu', async () => {
    await tf.setBackend('wasm');
    const nchw = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 9, 8] };
    const run = (dy: tf.Tensor, filter: tf.Tensor) => [
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, nchw) as tf.Tensor,
    ];
    const ours = ['Conv2D', 'BatchMatMul', 'Transpose'].map(
      (k) =>
        countKernel(k, () => tf.dispose(tf.tidy(() => run(tf.ones([2, 4, 5, 4]), tf.ones([3, 3, 3, 4])))))
          .calls,
    );
    expect(ours).toEqual([0, 0, 0]);
    await compare([random([2, 4, 5, 4], 50), random([3, 3, 3, 4], 51)], run);
  });

  it('rejects NCHW in Conv2DBackpropFilter with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 2, 5, 5]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          tf.Conv2DBackpropFilter,
          { x, dy },
          { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 2] },
        ),
    ).toThrow(/NHWC/);
    tf.dispose([x, dy]);
  });
});

describe('Conv2DBackpropFilter (wasm vs cpu)', () => {
  it.each(CONV_TABLE)('%s', async (_, c) => {
    const dyShape = convOutShape(c);
    const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.co];
    const attrs = convAttrs(c, { filterShape });
    await compare([random(c.x, 1), random(dyShape, 2)], (x, dy) => [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor,
    ]);
  });
});

describe.each(STRATEGIES)('Conv2DBackpropInput, %s (wasm vs cpu)', (_name, limit) => {
  useStrategy(limit);
  it.each(CONV_TABLE)('%s', async (_, c) => {
    const dyShape = convOutShape(c);
    const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.co];
    const attrs = convAttrs(c, { inputShape: c.x });
    await compare([random(dyShape, 3), random(filterShape, 4)], (dy, filter) => [
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs) as tf.Tensor,
    ]);
  });
});

const MATMUL_CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [3, 9, 6], b: [3, 4, 9], ta: true, tb: true },
  { a: [2, 6, 9], b: [2, 4, 9], ta: false, tb: true },
  { a: [2, 2, 9, 6], b: [2, 2, 9, 5], ta: true, tb: false },
  { a: [33, 65], b: [33, 17], ta: true, tb: false },
];

describe('BatchMatMul (wasm vs cpu)', () => {
  it.each(MATMUL_CASES)('a=$a b=$b transposeA=$ta transposeB=$tb', async ({ a, b, ta, tb }) => {
    await compare([random(a, 5), random(b, 6)], (x, y) => [tf.matMul(x, y, ta, tb)]);
  });
});

describe.each(STRATEGIES)('conv gradients through tf.grads, %s (wasm vs cpu)', (_name, limit) => {
  useStrategy(limit);
  it.each(CONV_TABLE)('conv2d dx, dw: %s', async (_, c) => {
    const yShape = convOutShape(c);
    const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.co];
    await compare([random(c.x, 7), random(filterShape, 8), random(yShape, 9)], (x, w, r) =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad, 'NHWC', 1, c.round), r)),
      )([x, w]),
    );
  });

  it.each(CONV_TABLE)('conv2dTranspose dx, dw: %s', async (_, c) => {
    // conv2dTranspose maps the conv's output shape back to its input shape c.x.
    const inShape = convOutShape(c);
    const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.co];
    await compare([random(inShape, 10), random(filterShape, 11), random(c.x, 12)], (x, w, r) =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2dTranspose(xx as tf.Tensor4D, ww as tf.Tensor4D, c.x, c.s, c.pad, c.round), r)),
      )([x, w]),
    );
  });
});

describe('gradients through tf.grads (wasm vs cpu)', () => {
  it.each(MATMUL_CASES)('matMul da, db: a=$a b=$b tA=$ta tB=$tb', async ({ a, b, ta, tb }) => {
    const out = tf.tidy(() => tf.matMul(tf.zeros(a), tf.zeros(b), ta, tb).shape);
    await compare([random(a, 13), random(b, 14), random(out, 15)], (x, y, r) =>
      tf.grads((xx: tf.Tensor, yy: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xx, yy, ta, tb), r)))([x, y]),
    );
  });

  it.each([
    [2, 5, 7, 3],
    [1, 4, 4, 6],
  ])('batchNorm dx, dmean, dvariance, doffset, dscale: x=[%i,%i,%i,%i]', async (...shape) => {
    const c = shape[3];
    const variance = random([c], 18);
    variance.values = variance.values.map((v) => v + 1.5);
    await compare(
      [random(shape, 16), random([c], 17), variance, random([c], 19), random([c], 20), random(shape, 21)],
      (x, m, v, o, s, r) =>
        tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(tf.batchNorm(t[0], t[1], t[2], t[3], t[4], 1e-3), r)))([
          x,
          m,
          v,
          o,
          s,
        ]),
    );
  });

  it('batchNorm in training mode (statistics from tf.moments) and with rank-4 statistics', async () => {
    const shape = [3, 6, 5, 4];
    await compare([random(shape, 22), random([4], 23), random([4], 24), random(shape, 25)], (x, o, s, r) => {
      const train = tf.grads((xx: tf.Tensor, oo: tf.Tensor, ss: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(xx, mean, variance, oo, ss, 1e-3), r));
      })([x, o, s]);
      // Rank-4 statistics take the stock gradient's other branch (only dx is well-defined there).
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      const rank4 = tf.grad((xx: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.batchNorm(xx, mean, variance, tf.reshape(o, [1, 1, 1, 4]), tf.reshape(s, [1, 1, 1, 4])),
            r,
          ),
        ),
      )(x);
      return [...train, rank4];
    });
  });
});

describe('BatchNorm gradient override', () => {
  const shape = [2, 5, 4, 3];
  function inputs(): tf.Tensor[] {
    const v = tf.add(tf.abs(toTensor(random([3], 31))), 0.5);
    return [
      toTensor(random(shape, 30)),
      toTensor(random([3], 32)),
      v,
      toTensor(random([3], 33)),
      toTensor(random(shape, 34)),
    ];
  }

  it('is in effect: the BN backward pass on wasm never calls Tile (the stock one does)', async () => {
    await tf.setBackend('wasm');
    const stock = stockBatchNormGradConfig();
    if (stock == null) throw new Error('stock gradient not captured');
    const [x, mean, variance, scale, dy] = inputs();
    const offset = tf.zeros([3]);
    // (An undefined offset would trip tfjs's tape when differentiating, hence explicit zeros.)
    const ours = countKernel('Tile', () =>
      tf.tidy(() =>
        tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(tf.batchNorm(t[0], t[1], t[2], t[3], t[4]), dy)))([
          x,
          mean,
          variance,
          offset,
          scale,
        ]),
      ),
    );
    expect(ours.calls).toBe(0);
    // Control: the spy does see Tile when the stock gradient runs.
    const stockRun = countKernel('Tile', () =>
      tf.tidy(() => stock.gradFunc(dy, [x, mean, variance, scale], { varianceEpsilon: 1e-3 }).x()),
    );
    expect(stockRun.calls).toBeGreaterThan(0);
    expect(relErr(fromTensor(ours.result[0]), fromTensor(stockRun.result))).toBe(0);
    tf.dispose([x, mean, variance, offset, scale, dy, stockRun.result, ...ours.result]);
  });

  it.each(['wasm', 'cpu'] as const)('equals the stock gradient bit for bit on %s', async (backend) => {
    await tf.setBackend(backend);
    const stock = stockBatchNormGradConfig();
    const override = tf.getGradient(tf.FusedBatchNorm);
    if (stock == null) throw new Error('stock gradient not captured');
    const [x, mean, variance, scale, dy] = inputs();
    const attrs = { varianceEpsilon: 1e-3 };
    for (const saved of [
      [x, mean, variance, scale],
      [x, mean, variance], // no scale
      [x, tf.reshape(mean, [1, 1, 1, 3]), tf.reshape(variance, [1, 1, 1, 3]), scale], // rank-4 stats: stock path
    ]) {
      const a = override.gradFunc(dy, saved, attrs);
      const b = stock.gradFunc(dy, saved, attrs);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const key of Object.keys(b)) {
        let gb: tf.Tensor;
        try {
          gb = b[key]();
        } catch {
          // The stock gradient cannot reshape some derivatives of rank-4 statistics; neither can ours.
          expect(() => a[key](), key).toThrow();
          continue;
        }
        const ga = a[key]();
        expect(relErr(fromTensor(ga), fromTensor(gb)), key).toBe(0);
        tf.dispose([ga, gb]);
      }
    }
    tf.dispose([x, mean, variance, scale, dy]);
  });
});

describe('resource hygiene', () => {
  it('kernels free every intermediate on the wasm backend', async () => {
    await tf.setBackend('wasm');
    const backend = tf.findBackend('wasm') as BackendWasm;
    const saved = conv2DBackpropInputTuning.col2imMaxInChannels;
    for (const [, limit] of STRATEGIES) {
      conv2DBackpropInputTuning.col2imMaxInChannels = limit;
      for (const c of CONV_CASES) {
        const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.co];
        const ins = [random(c.x, 40), random(convOutShape(c), 41), random(filterShape, 42)].map(toTensor);
        const [x, dy, w] = ins;
        const before = backend.numDataIds();
        const outs = [
          tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, convAttrs(c, { filterShape })),
          tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, convAttrs(c, { inputShape: c.x })),
        ] as tf.Tensor[];
        expect(backend.numDataIds(), label(c)).toBe(before + outs.length);
        tf.dispose([...outs, ...ins]);
      }
    }
    conv2DBackpropInputTuning.col2imMaxInChannels = saved;
    for (const { a, b, ta, tb } of MATMUL_CASES) {
      const ins = [toTensor(random(a, 43)), toTensor(random(b, 44))];
      const before = backend.numDataIds();
      const out = tf.matMul(ins[0], ins[1], ta, tb);
      expect(backend.numDataIds()).toBe(before + 1);
      tf.dispose([out, ...ins]);
    }
  });
});
