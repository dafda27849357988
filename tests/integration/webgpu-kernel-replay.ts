// Records every kernel call a computation makes on tfjs's cpu backend (inputs, attributes, outputs),
// and replays each distinct call on another backend: "every kernel the training step uses" is then
// whatever the step really called, not a hand-kept list that drifts.
import * as tf from '@tensorflow/tfjs-core';

export interface Arr {
  shape: number[];
  dtype: tf.DataType;
  values: tf.TypedArray;
}

export interface KernelCall {
  kernel: string;
  /** By name, or by position for the kernels that take a list (Concat, AddN, Pack). */
  inputs: Record<string, Arr> | Arr[];
  attrs: tf.NamedAttrMap;
  outputs: Arr[];
}

type CpuBackend = tf.KernelBackend & { readSync(dataId: object): tf.BackendValues };

const read = (backend: CpuBackend, t: tf.TensorInfo): Arr => ({
  shape: t.shape.slice(),
  dtype: t.dtype,
  values: (backend.readSync(t.dataId) as tf.TypedArray).slice(),
});

/**
 * Kernels whose program depends on their inputs' shapes (tiling, the matmul and conv variants, the
 * axes reduced): every distinct shape is a test case. The others (elementwise, casts) run one
 * program over a flat index, so a case is their inputs' ranks, dtypes, which inputs broadcast, and
 * whether sizes split into vec4s.
 */
const SHAPE_SENSITIVE = new Set([
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'FusedBatchNorm',
  'Sum',
  'Mean',
  'All',
  'Max',
  'UnsortedSegmentSum',
  'GatherV2',
  'ResizeNearestNeighbor',
  'ResizeNearestNeighborGrad',
  'Concat',
  'SplitV',
  'Tile',
  'Transpose',
  'Pack',
  'Slice',
  'MaxPool',
  'Softmax',
  'TopK',
  'Any',
]);

/** What makes two calls the same test case (see SHAPE_SENSITIVE); Reshape only relabels a buffer. */
function signature(
  kernel: string,
  inputs: [string, tf.TensorInfo][],
  attrs: tf.NamedAttrMap,
  out: tf.TensorInfo,
): string {
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  const exact = SHAPE_SENSITIVE.has(kernel);
  const described = inputs.map(([k, t]) =>
    exact
      ? [k, t.shape, t.dtype]
      : [k, t.shape.length, t.dtype, t.shape.join() === out.shape.join(), size(t.shape) % 4 === 0],
  );
  return JSON.stringify([kernel, described, kernel === 'Reshape' ? out.shape.length : attrs, out.dtype]);
}

/**
 * Runs `fn` (on the cpu backend, which must be the current one) with every cpu kernel wrapped, and
 * adds the first call of each signature not yet in `calls` (by signature). The wrappers are removed
 * before returning.
 */
export function recordKernels(
  fn: () => void,
  calls = new Map<string, KernelCall>(),
): Map<string, KernelCall> {
  if (tf.getBackend() !== 'cpu') throw new Error('recordKernels: the current backend must be cpu');
  const configs = tf.getKernelsForBackend('cpu');
  for (const config of configs) {
    tf.unregisterKernel(config.kernelName, 'cpu');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const out = config.kernelFunc(args);
        const outs = Array.isArray(out) ? out : [out];
        const named = Object.entries(args.inputs).filter((e): e is [string, tf.TensorInfo] => e[1] != null);
        const attrs = args.attrs ?? {};
        const key = signature(config.kernelName, named, attrs, outs[0]);
        if (calls.has(key)) return out;
        const backend = args.backend as CpuBackend;
        calls.set(key, {
          kernel: config.kernelName,
          inputs: Array.isArray(args.inputs)
            ? (args.inputs as tf.TensorInfo[]).map((t) => read(backend, t))
            : Object.fromEntries(named.map(([k, t]) => [k, read(backend, t)])),
          attrs: structuredClone(attrs),
          outputs: outs.map((t) => read(backend, t)),
        });
        return out;
      },
    });
  }
  try {
    fn();
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, 'cpu');
      tf.registerKernel(config);
    }
  }
  return calls;
}

/** Runs one recorded call on the current backend and returns its outputs. */
export function replay(call: KernelCall): Arr[] {
  return tf.tidy(() => {
    const make = (a: Arr) => tf.tensor(a.values, a.shape, a.dtype);
    const inputs = Array.isArray(call.inputs)
      ? call.inputs.map(make)
      : Object.fromEntries(Object.entries(call.inputs).map(([k, a]) => [k, make(a)]));
    const out = tf.engine().runKernel(call.kernel, inputs as tf.NamedTensorMap, structuredClone(call.attrs));
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      shape: t.shape.slice(),
      dtype: t.dtype,
      values: t.dataSync() as tf.TypedArray,
    }));
  });
}

/**
 * Kernels whose outputs are sums of their first input's values: their rounding is relative to the
 * terms added, which can be far larger than the sum (BatchNorm's gradients sum to about 0 over a
 * batch, and so do a class embedding's real and fake contributions).
 */
export const SUMMING = new Set(['Sum', 'Mean', 'UnsortedSegmentSum']);

function largest(a: Arr): number {
  let m = 0;
  for (const v of a.values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * max |a − ref| over the largest |ref| (or the largest term, `terms`, for a sum; at least 1e-6, so an
 * all-zero output compares absolutely). Integer and boolean outputs, and non-finite values, must be
 * equal: Infinity when they are not.
 */
export function relativeError(a: Arr, ref: Arr, terms?: Arr): number {
  if (a.values.length !== ref.values.length || a.shape.join() !== ref.shape.join())
    return Number.POSITIVE_INFINITY;
  const exact = ref.dtype !== 'float32';
  let diff = 0;
  for (let i = 0; i < ref.values.length; i++) {
    const x = a.values[i];
    const y = ref.values[i];
    if (!Number.isFinite(y) || !Number.isFinite(x) || exact) {
      if (!(x === y || Object.is(x, y))) return Number.POSITIVE_INFINITY;
      continue;
    }
    diff = Math.max(diff, Math.abs(x - y));
  }
  return diff / Math.max(1e-6, largest(ref), terms ? largest(terms) : 0);
}
