// Which TensorFlow.js backend runs the generator. WebGPU when a real (non-fallback) adapter exists:
// a software adapter (SwiftShader) ran 3–6× slower than WASM. Else WASM (threaded SIMD when the page
// is cross-origin isolated, SIMD otherwise), else CPU. Each backend is imported only when chosen.
// The choice (planRuntime) is made before tfjs has loaded, and a WASM choice starts its binary's
// download and compile right away; startRuntime then starts what was chosen.
import type * as tfc from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../url-state.ts';
import type { WebgpuVerdict } from './api.ts';
import { type BackendWasmModule, startEmscripten } from './emscripten.ts';
import { STEP, step } from './steps.ts';
import { planWasm, type WasmPlan } from './wasm-binary.ts';
import { webgpuAdapter } from './webgpu-probe.ts';

export type Tf = typeof tfc;

export interface Runtime {
  /** What runs, for people: "WebGPU (…)", "WASM SIMD, 2 threads", "CPU". */
  label: string;
  kind: 'webgpu' | 'wasm' | 'cpu';
  initMs: number;
  /** Resolves when a WebGPU device is lost (never for the others). */
  lost: Promise<string>;
}

export type RuntimePlan =
  | { kind: 'webgpu' }
  /** WASM: its binary compiling, and its Emscripten module (and threads) starting from it. */
  | { kind: 'wasm'; wasm: WasmPlan; emscripten: Promise<BackendWasmModule> }
  | { kind: 'cpu' };

const never = new Promise<string>(() => {});

/**
 * What to run: the requested backend, or the best this device has (says why when it passes over
 * WebGPU). A WASM plan's binary starts downloading and compiling now. `threads` overrides the
 * WASM thread count. `probed`: the page's WebGPU verdict, when it asked itself (else the engine asks).
 */
export async function planRuntime(
  choice: BackendChoice | null,
  threads: number | null,
  note: (line: string) => void,
  probed: Promise<WebgpuVerdict> | null = null,
): Promise<RuntimePlan> {
  const wasm = (threaded: boolean) => wasmPlan({ threaded, threads: threads ?? undefined });
  if (choice === 'webgpu' || choice === 'cpu') return { kind: choice };
  if (choice === 'wasm' || choice === 'wasm-simd') return wasm(choice === 'wasm');
  const gpu = await (probed ?? webgpuAdapter());
  if (gpu.ok) return { kind: 'webgpu' };
  note(`Not using WebGPU: ${gpu.reason}.`);
  return wasm(true);
}

/**
 * A WASM plan, started: its binary downloading and compiling, its Emscripten module (which needs
 * nothing of tfjs) and its pthread workers starting, tfjs's WASM backend's script on its way.
 */
function wasmPlan(opts: { threaded: boolean; threads?: number }): RuntimePlan {
  const wasm = planWasm(opts);
  void import('./wasm-backend.ts').catch(() => {}); // reported by initWasm, which imports it again
  const emscripten = step(STEP.emscripten, () => startEmscripten(wasm));
  emscripten.catch(() => {}); // reported by initWasm
  return { kind: 'wasm', wasm, emscripten };
}

async function initWebgpu(tf: Tf): Promise<Runtime> {
  const t0 = performance.now();
  await step(STEP.backendScript, () => import('@tensorflow/tfjs-backend-webgpu'));
  if (!(await step(STEP.runtimeStart, () => tf.setBackend('webgpu'))))
    throw new Error('the WebGPU backend failed to start');
  await tf.ready();
  const backend = tf.backend() as unknown as {
    device: GPUDevice;
    adapterInfo?: { vendor?: string; architecture?: string };
  };
  const info = backend.adapterInfo;
  const name = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  return {
    label: `WebGPU${name ? ` (${name})` : ''}`,
    kind: 'webgpu',
    initMs: performance.now() - t0,
    lost: backend.device.lost.then((l) => l.message || l.reason || 'device lost'),
  };
}

async function initWasm(tf: Tf, plan: WasmPlan, emscripten: Promise<BackendWasmModule>): Promise<Runtime> {
  const t0 = performance.now();
  const { startWasmBackend } = await step(STEP.backendScript, () => import('./wasm-backend.ts'));
  const threads = await startWasmBackend(tf, plan, emscripten);
  const simd = plan.build === 'plain' ? '' : ' SIMD';
  return {
    label: `WASM${simd}, ${threads} thread${threads === 1 ? '' : 's'}`,
    kind: 'wasm',
    initMs: performance.now() - t0,
    lost: never,
  };
}

async function initCpu(tf: Tf): Promise<Runtime> {
  const t0 = performance.now();
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) throw new Error('the CPU backend failed to start');
  return { label: 'CPU (plain JavaScript)', kind: 'cpu', initMs: performance.now() - t0, lost: never };
}

/** A backend that never finishes starting must not leave the page spinning forever. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not start within ${ms / 1000} s`)), ms),
    ),
  ]);
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Starts what `plan` says. When nothing was requested (`fallback`), a WebGPU that fails to start
 * gives way to WASM, and a WASM that fails to the CPU, each with a note.
 */
export async function startRuntime(
  tf: Tf,
  plan: RuntimePlan,
  note: (line: string) => void,
  fallback = true,
): Promise<Runtime> {
  if (plan.kind === 'cpu') return initCpu(tf);
  if (plan.kind === 'webgpu') {
    try {
      return await within(30_000, 'WebGPU', initWebgpu(tf));
    } catch (e) {
      if (!fallback) throw e;
      note(`WebGPU failed (${describe(e)}); using WASM.`);
      return startRuntime(tf, wasmPlan({ threaded: true }), note, fallback);
    }
  }
  try {
    return await within(30_000, 'WASM', initWasm(tf, plan.wasm, plan.emscripten));
  } catch (e) {
    if (!fallback) throw e;
    note(`WASM failed (${describe(e)}); using the CPU.`);
    return initCpu(tf);
  }
}
