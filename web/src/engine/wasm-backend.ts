// tfjs's WASM backend, started from the binary wasm-binary.ts compiled and with the threads it
// planned. tfjs's own start (its `init`) fetches the binary itself, only once tfjs has loaded; its
// threaded build starts 8 pthread workers whatever the thread count, and its C side caps the
// threads at half the logical cores (1 on a 2-core machine, whatever setThreadsCount says). Here
// the Emscripten module is made the way `init` makes it, but instantiated from the compiled binary,
// with a pool of `threads - 1` workers (Module.pthreadPoolSize, which the page build teaches tfjs's
// threaded build to read: web/vite.config.ts), and told of enough cores for the planned threads.
// The kernels are tfjs's, registered by its package.
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import plainFactory, {
  type BackendWasmModule,
} from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import threadedFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import type { Tf } from './runtime.ts';
import { STEP, step } from './steps.ts';
import type { WasmPlan } from './wasm-binary.ts';

const PTHREAD_SCRIPT = 'tfjs-backend-wasm-threaded-simd.worker.js';

type Instantiate = (
  imports: WebAssembly.Imports,
  receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
) => object;

interface FactoryConfig {
  INITIAL_MEMORY?: number;
  locateFile(path: string, prefix: string): string;
  instantiateWasm: Instantiate;
  mainScriptUrlOrBlob?: Blob;
  pthreadPoolSize?: number;
  onAbort(what: unknown): void;
}

/** Emscripten's cwrap, which the module has (its types come from @types/emscripten, not loaded here). */
type Cwrap = (name: string, returns: 'number' | null, args: 'number'[]) => (...args: number[]) => number;

type Factory = (config: FactoryConfig) => Promise<BackendWasmModule & { cwrap: Cwrap }>;

/** The Emscripten module of the planned build, instantiated from the compiled binary. */
async function emscriptenModule(plan: WasmPlan): Promise<BackendWasmModule> {
  const compiled = await plan.module;
  const threaded = plan.build === 'threaded-simd';
  let aborted: (e: Error) => void = () => {};
  const abort = new Promise<never>((_, reject) => {
    aborted = reject;
  });
  // The pthread workers' script, as tfjs's init makes it (one blob for the whole pool).
  const pthreadScript = threaded
    ? URL.createObjectURL(
        new Blob([wasmWorkerContents.replace(/\n/g, '\\n')], { type: 'application/javascript' }),
      )
    : '';
  const config: FactoryConfig = {
    locateFile: (path, prefix) => (path.endsWith(PTHREAD_SCRIPT) ? pthreadScript : prefix + path),
    instantiateWasm(imports, receive) {
      // tfjs's C side asks this import (navigator.hardwareConcurrency) once, at start, and caps
      // XNNPACK's threads at half of it: the answer lets the planned count through.
      (imports.env as Record<string, unknown>).emscripten_num_logical_cores = () => 2 * plan.threads;
      WebAssembly.instantiate(compiled, imports).then(
        (instance) => receive(instance, compiled),
        (e: unknown) => aborted(new Error(`the WASM binary did not instantiate: ${String(e)}`)),
      );
      return {}; // Emscripten's signal that instantiation is asynchronous
    },
    onAbort: (what) => aborted(new Error(`the WASM runtime aborted: ${String(what)}`)),
    INITIAL_MEMORY: 64 * 1024 * 1024,
  };
  if (threaded) {
    // The workers start from the factory's own source, as with tfjs's init.
    config.mainScriptUrlOrBlob = new Blob(
      [`var WasmBackendModuleThreadedSimd = ${threadedFactory.toString()}`],
      {
        type: 'text/javascript',
      },
    );
    config.pthreadPoolSize = plan.threads - 1;
  }
  const factory = (threaded ? threadedFactory : plainFactory) as unknown as Factory;
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

/** Registers and selects the `wasm` backend for `plan`; resolves with the threads XNNPACK runs. */
export async function startWasmBackend(tf: Tf, plan: WasmPlan): Promise<number> {
  await plan.module;
  const wasm = await step(STEP.runtimeStart, () => emscriptenModule(plan));
  setThreadsCount(plan.threads);
  // tfjs's flags say the same as the plan (nothing of tfjs probes again).
  tf.env().set('WASM_HAS_SIMD_SUPPORT', plan.build !== 'plain');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', plan.build === 'threaded-simd');
  // The package registered `wasm` with its own start; this one replaces it before it ever runs.
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new BackendWasm(wasm), 2);
  if (!(await tf.setBackend('wasm'))) throw new Error('the WASM backend failed to start');
  return (tf.backend() as BackendWasm).wasm.tfjs.getThreadsCount();
}
