// UnsortedSegmentSum for wasm: the gradient of Gather (so of the Embedding layer that feeds the
// class into the conditional generator), which tfjs-backend-wasm 4.22 lacks. Written as one matmul:
// out[s] = Σ_i [id_i = s] · x_i  =  oneHot(ids, S)ᵀ · x. Out-of-range ids (e.g. -1) select nothing,
// as TensorFlow's op drops them.

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { runWasm } from './wasm-call.ts';

const unsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const wasm = backend as BackendWasm;
  // Intermediates, freed even if a kernel throws.
  const temps: TensorInfo[] = [];
  const call = (name: string, ins: Record<string, TensorInfo>, a: NamedAttrMap = {}) => {
    const t = runWasm(name, wasm, ins, a);
    temps.push(t);
    return t;
  };
  try {
    const n = util.sizeFromShape(segmentIds.shape);
    const rest = x.shape.slice(segmentIds.shape.length);
    const width = util.sizeFromShape(rest);
    const ids =
      segmentIds.dtype === 'int32' ? segmentIds : call('Cast', { x: segmentIds }, { dtype: 'int32' });
    const flatIds = call('Reshape', { x: ids }, { shape: [n] });
    // wasm's OneHot writes int32 whatever dtype it is asked for: cast explicitly.
    const oneHotInt = call(
      'OneHot',
      { indices: flatIds },
      { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' },
    );
    const oneHot = call('Cast', { x: oneHotInt }, { dtype: 'float32' });
    const xFloat = x.dtype === 'float32' ? x : call('Cast', { x }, { dtype: 'float32' });
    const x3d = call('Reshape', { x: xFloat }, { shape: [1, n, width] });
    const ohT = call('Transpose', { x: oneHot }, { perm: [1, 0] });
    const oh3d = call('Reshape', { x: ohT }, { shape: [1, numSegments, n] });
    const sum = call('BatchMatMul', { a: oh3d, b: x3d }, { transposeA: false, transposeB: false });
    return runWasm('Reshape', wasm, { x: sum }, { shape: [numSegments, ...rest] });
  } finally {
    for (const t of temps) wasm.disposeData(t.dataId);
  }
};

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
