// The Emscripten half of tfjs's WASM backend: the module of the planned build (wasm-binary.ts),
// made the way tfjs's own start (its `init`) makes it, except that it is instantiated from the
// binary the engine compiles while it downloads, with a pool of `threads - 1` pthread workers
// (Module.pthreadPoolSize, which the page build teaches tfjs's threaded build to read:
// web/vite.config.ts; tfjs's own starts 8 whatever the count), and told of enough cores for the
// planned threads (tfjs's C side caps them at half the logical cores: 1 on a 2-core machine). It
// needs nothing of tfjs itself, so it starts, and its workers with it, while tfjs's scripts are
// still arriving; wasm-backend.ts then puts tfjs's backend on it.
//
// Only the planned build's factory is fetched, as its source text (tfjs's package has both
// builds' factories, CommonJS, in its backend's script), and run here as a module from a blob:
// URL; the threaded build's workers start from the same text (tfjs hands them the factory's
// Function.prototype.toString(), which a minifier can break). As texts, they need no module of
// the bundle's: this module starts before tfjs has arrived.
import type { BackendWasmModule } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import type { WasmPlan } from './wasm-binary.ts';

export type { BackendWasmModule };

/** The planned build's texts: its factory, and the threaded build's pthread workers' script. */
async function sources(threaded: boolean): Promise<{ factory: string; pthread: string | null }> {
  if (threaded) return import('./threaded-factory.ts');
  const plain = await import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js?raw');
  return { factory: plain.default, pthread: null };
}

/** What a CommonJS source text exports, run as a module (from a blob: URL, which the CSP allows). */
async function commonJsExports<T>(text: string): Promise<T> {
  const url = URL.createObjectURL(
    new Blob(
      [
        `const module = { exports: {} }; const exports = module.exports;\n${text}\nexport default module.exports;\n`,
      ],
      {
        type: 'text/javascript',
      },
    ),
  );
  try {
    return ((await import(/* @vite-ignore */ url)) as { default: T }).default;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const PTHREAD_SCRIPT = 'tfjs-backend-wasm-threaded-simd.worker.js';

type Instantiate = (
  imports: WebAssembly.Imports,
  receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
) => object;

interface FactoryConfig {
  locateFile(path: string, prefix: string): string;
  instantiateWasm: Instantiate;
  mainScriptUrlOrBlob?: Blob;
  pthreadPoolSize?: number;
  onAbort(what: unknown): void;
}

/** Emscripten's cwrap, which the module has (its types come from @types/emscripten, not loaded here). */
type Cwrap = (name: string, returns: 'number' | null, args: 'number'[]) => (...args: number[]) => number;

type Factory = (config: FactoryConfig) => Promise<BackendWasmModule & { cwrap: Cwrap }>;

/**
 * The Emscripten module of the planned build, instantiated from the compiled binary once it is
 * compiled. Its pthread workers start at once.
 */
export async function startEmscripten(plan: WasmPlan): Promise<BackendWasmModule> {
  const threaded = plan.build === 'threaded-simd';
  let aborted: (e: Error) => void = () => {};
  const abort = new Promise<never>((_, reject) => {
    aborted = reject;
  });
  const { factory: factoryText, pthread: pthreadText } = await sources(threaded);
  const [factory, pthread] = await Promise.all([
    commonJsExports<Factory>(factoryText),
    pthreadText === null ? null : commonJsExports<{ wasmWorkerContents: string }>(pthreadText),
  ]);
  // The pthread workers' script, as tfjs's init makes it (one blob for the whole pool).
  const pthreadScript = pthread
    ? URL.createObjectURL(
        new Blob([pthread.wasmWorkerContents.replace(/\n/g, '\\n')], { type: 'application/javascript' }),
      )
    : '';
  const config: FactoryConfig = {
    locateFile: (path, prefix) => (path.endsWith(PTHREAD_SCRIPT) ? pthreadScript : prefix + path),
    instantiateWasm(imports, receive) {
      // tfjs's C side asks this import (navigator.hardwareConcurrency) once, at start, and caps
      // XNNPACK's threads at half of it: the answer lets the planned count through.
      (imports.env as Record<string, unknown>).emscripten_num_logical_cores = () => 2 * plan.threads;
      plan.module
        .then(async (compiled) => receive(await WebAssembly.instantiate(compiled, imports), compiled))
        .catch((e: unknown) => aborted(new Error(`the WASM binary did not instantiate: ${String(e)}`)));
      return {}; // Emscripten's signal that instantiation is asynchronous
    },
    onAbort: (what) => aborted(new Error(`the WASM runtime aborted: ${String(what)}`)),
  };
  if (threaded) {
    config.mainScriptUrlOrBlob = new Blob([factoryText], { type: 'text/javascript' });
    config.pthreadPoolSize = plan.threads - 1;
  }
  const wasm = await Promise.race([factory(config), abort]);
  // What tfjs's init adds to the module, under the same names (its BackendWasm calls these).
  wasm.tfjs = {
    init: wasm.cwrap('init', null, []),
    initWithThreadsCount: wasm.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: wasm.cwrap('get_threads_count', 'number', []),
    registerTensor: wasm.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: wasm.cwrap('dispose_data', null, ['number']),
    dispose: wasm.cwrap('dispose', null, []),
  };
  return wasm;
}
