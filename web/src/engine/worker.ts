// The engine: a module worker that finds the model, downloads and verifies it, starts the best
// runtime this device has and turns requests into pixels. Nothing here runs on the page's thread,
// so the page answers clicks and typing while digits are computed.
//
// This entry is kept small so that the engine's first acts start as soon as the worker runs:
// choosing the runtime (and with it fetching and compiling the one WASM binary), requesting
// tfjs's scripts, and loading the model side (engine.ts), all side by side.
import * as Comlink from 'comlink';
import type { EngineApi, EngineDebugApi, ManifestAnswer, WebgpuVerdict } from './api.ts';
import { type Prefetched, prefetchFiles } from './model-files.ts';
import { planRuntime } from './runtime.ts';
import { STEP, step } from './steps.ts';

performance.mark(STEP.engineEvaluated);
// Requested when start() has set off the runtime's choice and tfjs's scripts: from a cache (a
// reload) this module arrives at once, and compiling it first would hold those back.
let modelSide: ReturnType<typeof loadModelSide> | undefined;
const loadModelSide = () => import('./engine.ts');
const model = () => {
  modelSide ??= loadModelSide();
  return modelSide;
};
// The page's request for the manifest, handed over when it has its answer (a method of its own
// rather than a callback the engine calls: a Comlink proxy the engine no longer holds can be
// collected, closing its port, while the answer is still on its way).
let answered: (a: ManifestAnswer) => void = () => {};
const answer = new Promise<ManifestAnswer>((resolve) => {
  answered = resolve;
});
// The model files' downloads, started from the answer as it arrives (model-files.ts).
const prefetched: Prefetched = new Map();

// The page's WebGPU verdict, likewise handed over when the page has it.
let probed: (v: WebgpuVerdict) => void = () => {};
const verdict = new Promise<WebgpuVerdict>((resolve) => {
  probed = resolve;
});

const engine: EngineApi = {
  async start(opts, onEvent) {
    const notes: string[] = [];
    // In this order: what is requested first gets one of the (HTTP/1.1: six) connections first.
    const plan = step(STEP.runtimeChoice, () =>
      planRuntime(opts.backend, opts.threads, (l) => notes.push(l), opts.webgpuOnPage ? verdict : null),
    );
    const side = model(); // the manifest's check, then the files' requests
    const tf = step(STEP.tfjsCore, () => import('@tensorflow/tfjs-core'));
    return (await side).start(opts, onEvent, { answer, prefetched, plan, tf, notes });
  },
  manifestAnswered: async (a, firstVisit) => {
    if (firstVisit) for (const [file, started] of prefetchFiles(a)) prefetched.set(file, started);
    answered(a);
  },
  webgpuProbed: async (v) => probed(v),
  draw: async (spec) => (await model()).draw(spec),
  versions: async () => (await model()).versions(),
};

/** The test build's debug methods (engine/debug.ts). */
function engineDebug(): EngineDebugApi {
  let loaded: Promise<EngineDebugApi> | undefined;
  const debugApi = () => {
    loaded ??= Promise.all([model(), import('./debug.ts')]).then(([m, d]) => d.engineDebug(m.loaded));
    return loaded;
  };
  return {
    benchTime: async (n, reps) => (await debugApi()).benchTime(n, reps),
    matmulGflops: async (size, reps) => (await debugApi()).matmulGflops(size, reps),
    kernelProfile: async (n, reps) => (await debugApi()).kernelProfile(n, reps),
    loseDevice: async () => (await debugApi()).loseDevice(),
    requestTimings: async () => (await debugApi()).requestTimings(),
    stepMarks: async () => (await debugApi()).stepMarks(),
  };
}

// In production the flag is the literal false: neither the debug methods nor their module are bundled.
declare const __DEBUG_HOOKS__: boolean;
Comlink.expose(__DEBUG_HOOKS__ ? { ...engine, ...engineDebug() } : engine);
