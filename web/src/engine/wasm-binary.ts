// Which of tfjs's three WASM builds runs here, with how many threads, and its binary: chosen and
// compiled before tfjs itself has loaded, so the one binary this device needs downloads and
// compiles (while streaming) alongside the manifest, the weights and tfjs's scripts. No other
// build's binary is requested.
import plainUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm?url';
import simdUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url';
import threadedUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url';
import { WASM_CACHE } from '../wasm-cache.ts';
import { STEP } from './steps.ts';

export type WasmBuild = 'plain' | 'simd' | 'threaded-simd';

export interface WasmPlan {
  build: WasmBuild;
  /** XNNPACK's threads: the engine's own thread plus `threads - 1` pthread workers. */
  threads: number;
  url: string;
  /** The compiled binary (compiled once: the pthread workers get this module, not the bytes). */
  module: Promise<WebAssembly.Module>;
}

/** Beyond this, a model this small gains nothing from more threads (and each costs a worker). */
export const MAX_THREADS = 4;

// The probes tfjs's own flags use (tfjs-backend-wasm's flags_wasm.ts, from GoogleChromeLabs'
// wasm-feature-detect): a tiny module with a SIMD instruction, and one with an atomic one.
const SIMD_PROBE = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
];
const ATOMICS_PROBE = [
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254,
  16, 2, 0, 26, 11,
];

const validates = (bytes: number[]) => {
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
};

export function hasSimd(): boolean {
  return validates(SIMD_PROBE);
}

/** Shared memory that can be posted to a worker (the page is cross-origin isolated) and atomics. */
export function hasThreads(): boolean {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer === 'undefined') return false;
  try {
    new MessageChannel().port1.postMessage(new SharedArrayBuffer(1));
  } catch {
    return false;
  }
  return validates(ATOMICS_PROBE);
}

/** Both cores on a 2-core machine; at most MAX_THREADS. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1));
}

/**
 * The build for `threads` (1: no pthread workers at all) on this device, and its binary's compile,
 * started now. `threaded: false` asks for the single-threaded build (`?backend=wasm-simd`).
 */
export function planWasm(opts: { threaded: boolean; threads?: number }): WasmPlan {
  const simd = hasSimd();
  const wanted = opts.threaded ? (opts.threads ?? defaultThreads()) : 1;
  const threaded = simd && wanted > 1 && hasThreads();
  const build: WasmBuild = threaded ? 'threaded-simd' : simd ? 'simd' : 'plain';
  const url = { plain: plainUrl, simd: simdUrl, 'threaded-simd': threadedUrl }[build];
  const module = compile(url);
  module.catch(() => {}); // reported when the runtime starts (it may not be needed)
  return { build, threads: threaded ? wanted : 1, url, module };
}

async function compile(url: string): Promise<WebAssembly.Module> {
  const start = performance.now();
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`the WASM binary answered HTTP ${res.status}`);
  void keep(url, res.clone());
  // Compiling while the bytes arrive needs the right type; a server without it still works.
  const module = res.headers.get('Content-Type')?.startsWith('application/wasm')
    ? await WebAssembly.compileStreaming(res)
    : await WebAssembly.compile(await res.arrayBuffer());
  performance.measure(STEP.wasmBinary, { start, end: performance.now() });
  return module;
}

/**
 * Keeps the binary for repeat and offline visits (the service worker serves it from here), once,
 * and only this one: an older build's binary is dropped.
 */
async function keep(url: string, res: Response): Promise<void> {
  try {
    const cache = await caches.open(WASM_CACHE);
    const key = new URL(url, self.location.href).href;
    if (await cache.match(key)) return void (await res.body?.cancel());
    for (const old of await cache.keys()) if (old.url !== key) await cache.delete(old);
    await cache.put(key, res);
  } catch {
    await res.body?.cancel().catch(() => {}); // no Cache API (storage off): the page still runs
  }
}
