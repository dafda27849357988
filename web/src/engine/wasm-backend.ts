// tfjs's WASM backend (its kernels, registered by its package) on the Emscripten module that
// emscripten.ts started for the plan.
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core's namespace type, taken directly: runtime.ts imports this module.
import type * as tfc from '@tensorflow/tfjs-core';
import type { BackendWasmModule } from './emscripten.ts';
import { STEP, step } from './steps.ts';
import type { WasmPlan } from './wasm-binary.ts';

/** Registers and selects the `wasm` backend for `plan`; resolves with the threads XNNPACK runs. */
export async function startWasmBackend(
  tf: typeof tfc,
  plan: WasmPlan,
  module: Promise<BackendWasmModule>,
): Promise<number> {
  const wasm = await module;
  setThreadsCount(plan.threads);
  // tfjs's flags say the same as the plan (nothing of tfjs probes again).
  tf.env().set('WASM_HAS_SIMD_SUPPORT', plan.build !== 'plain');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', plan.build === 'threaded-simd');
  // The package registered `wasm` with its own start; this one replaces it before it ever runs.
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new BackendWasm(wasm), 2);
  if (!(await step(STEP.runtimeStart, () => tf.setBackend('wasm'))))
    throw new Error('the WASM backend failed to start');
  return (tf.backend() as BackendWasm).wasm.tfjs.getThreadsCount();
}
