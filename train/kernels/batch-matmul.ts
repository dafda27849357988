// BatchMatMul for the wasm backend. Stock wasm only reaches XNNPACK's fast GEMM when neither operand is
// transposed (and the batch is 1); with transposeA/transposeB it runs a blocked scalar loop. Matmul gradients always transpose, so we
// materialise the transposes with wasm's Transpose kernel and call the stock kernel with both flags off.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type {
  BatchMatMulAttrs,
  BatchMatMulInputs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { runWasm } from './wasm-call.ts';

type Args = { inputs: BatchMatMulInputs; backend: BackendWasm; attrs: BatchMatMulAttrs };

/** Swaps the two innermost axes with wasm's Transpose kernel. */
function transposeInner(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasm('Transpose', backend, { x }, { perm });
}

export function makeBatchMatMulKernel(original: KernelFunc): KernelFunc {
  function batchMatMulWasm(args: Args): TensorInfo | TensorInfo[] {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const { transposeA, transposeB } = attrs;
    // Nothing to materialise, or rank < 2 (which the stock kernel rejects with its own message).
    if ((!transposeA && !transposeB) || a.shape.length < 2 || b.shape.length < 2) {
      return original(args as unknown as Parameters<KernelFunc>[0]);
    }
    const temps: TensorInfo[] = [];
    try {
      const a2 = transposeA ? transposeInner(backend, a) : a;
      if (transposeA) temps.push(a2);
      const b2 = transposeB ? transposeInner(backend, b) : b;
      if (transposeB) temps.push(b2);
      return original({
        inputs: { a: a2, b: b2 },
        backend,
        attrs: { transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }
  return batchMatMulWasm as unknown as KernelFunc;
}

export function makeBatchMatMulConfig(original: KernelConfig): KernelConfig {
  // Same name, backend and setupFunc (a backend re-init still wires it up); our kernelFunc.
  return { ...original, kernelFunc: makeBatchMatMulKernel(original.kernelFunc) };
}
