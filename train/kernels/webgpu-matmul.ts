// BatchMatMul and _FusedMatMul for the WebGPU backend. tfjs-backend-webgpu 4.22 picks its split-K
// program when the output is small, the batch is 1 and the inner dimension is at least 2,000, and that
// program reads B four values at a time along the wrong axis when B is transposed (its packed program
// rules that case out, the split-K one does not): O(1) errors, e.g. the gradient flowing into a
// Dense layer's input (fast-cond's class embedding). Here B is transposed first in that case, so the
// stock kernel never sees transposeB with a long inner dimension.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** The stock kernel's threshold for the split-K program (BatchMatMul_impl.ts). */
export const SPLIT_K_MIN_INNER = 2000;

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo>;
  backend: WebGPUBackend;
  attrs: { transposeA: boolean; transposeB: boolean } & Record<string, unknown>;
}

const batchSize = (t: TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/** True where the stock kernel may take the split-K program with a transposed B. */
export function needsExplicitTranspose(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): boolean {
  if (!transposeB || a.shape.length < 2 || b.shape.length < 2) return false;
  const r = a.shape.length;
  const inner = transposeA ? a.shape[r - 2] : a.shape[r - 1];
  return Math.max(batchSize(a), batchSize(b)) === 1 && inner >= SPLIT_K_MIN_INNER;
}

function transposeInner(backend: WebGPUBackend, x: TensorInfo): TensorInfo {
  const transpose = getKernel('Transpose', 'webgpu');
  if (!transpose) throw new Error("webgpu kernel 'Transpose' is not registered");
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
}

/** Wraps a stock matmul kernel (BatchMatMul or _FusedMatMul: same a/b inputs and transpose attrs). */
export function makeWebGpuMatMulConfig(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: MatMulArgs) => {
    const { inputs, backend, attrs } = args;
    if (!needsExplicitTranspose(inputs.a, inputs.b, attrs.transposeA, attrs.transposeB))
      return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    const bT = transposeInner(backend, inputs.b);
    try {
      return original.kernelFunc({
        inputs: { ...inputs, b: bT },
        backend,
        attrs: { ...attrs, transposeB: false },
      } as unknown as Parameters<KernelFunc>[0]);
    } finally {
      backend.disposeData(bT.dataId);
    }
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelFunc };
}
