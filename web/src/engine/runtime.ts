// Which TensorFlow.js backend runs the generator. WebGPU when a real (non-fallback) adapter exists:
// a software adapter (SwiftShader) ran 3–6× slower than WASM. Else WASM (threaded SIMD when the page
// is cross-origin isolated, SIMD otherwise), else CPU. Each backend is imported only when chosen.
import type * as tfc from '@tensorflow/tfjs-core';
import type { BackendChoice } from '../url-state.ts';

export type Tf = typeof tfc;

export interface Runtime {
  /** What runs, for people: "WebGPU (…)", "WASM SIMD, 2 threads", "CPU". */
  label: string;
  kind: 'webgpu' | 'wasm' | 'cpu';
  initMs: number;
  /** Resolves when a WebGPU device is lost (never for the others). */
  lost: Promise<string>;
}

const never = new Promise<string>(() => {});

type FallbackFlag = { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } };

/** A hardware WebGPU adapter, or why there is none. */
export async function webgpuAdapter(): Promise<{ ok: boolean; reason: string }> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ok: false, reason: 'no WebGPU in this browser' };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter' };
  const a = adapter as unknown as FallbackFlag;
  if (a.info?.isFallbackAdapter ?? a.isFallbackAdapter)
    return { ok: false, reason: 'only a software WebGPU adapter' };
  return { ok: true, reason: '' };
}

async function initWebgpu(tf: Tf): Promise<Runtime> {
  const t0 = performance.now();
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend failed to start');
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

async function initWasm(tf: Tf, threads: boolean): Promise<Runtime> {
  const t0 = performance.now();
  const [wasm, simd, threadedSimd, plain] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm'),
    import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url'),
  ]);
  // Served from our own origin (the page is cross-origin isolated; no CDN).
  wasm.setWasmPaths({
    'tfjs-backend-wasm-simd.wasm': simd.default,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd.default,
    'tfjs-backend-wasm.wasm': plain.default,
  });
  if (!threads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend failed to start');
  await tf.ready();
  const hasSimd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const hasThreads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const n = hasThreads ? wasm.getThreadsCount() : 1;
  return {
    label: `WASM${hasSimd ? ' SIMD' : ''}${hasThreads ? ` + threads (${n} worker${n === 1 ? '' : 's'})` : ', single-threaded'}`,
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

/** Starts the requested backend, or the best available one; says why it chose it. */
export async function startRuntime(
  tf: Tf,
  choice: BackendChoice | null,
  note: (line: string) => void,
): Promise<Runtime> {
  if (choice === 'webgpu') return within(30_000, 'WebGPU', initWebgpu(tf));
  if (choice === 'wasm') return within(30_000, 'WASM', initWasm(tf, true));
  if (choice === 'wasm-simd') return within(30_000, 'WASM', initWasm(tf, false));
  if (choice === 'cpu') return initCpu(tf);
  const gpu = await webgpuAdapter();
  if (!gpu.ok) note(`Not using WebGPU: ${gpu.reason}.`);
  if (gpu.ok) {
    try {
      return await within(30_000, 'WebGPU', initWebgpu(tf));
    } catch (e) {
      note(`WebGPU failed (${e instanceof Error ? e.message : String(e)}); using WASM.`);
    }
  }
  try {
    return await within(30_000, 'WASM', initWasm(tf, true));
  } catch (e) {
    note(`WASM failed (${e instanceof Error ? e.message : String(e)}); using the CPU.`);
    return initCpu(tf);
  }
}
