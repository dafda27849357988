// The cold path's steps, by the names of their performance marks and measures (on the page's
// thread and the engine's). DevTools' Performance panel shows them; `npm run bench:web` prints them
// as the cold path's waterfall, with what each step waited on (tests/bench/cold-path.ts).
export const STEP = {
  /** Page: the request for the manifest, from the page's start to its answer. */
  manifestRequest: 'manifest: request',
  /** Page: the WebGPU adapter probe, asked as the page starts when no backend is asked for. */
  webgpuProbe: 'webgpu: adapter probe',
  /** Page: the engine's worker created (its script requested). */
  engineCreated: 'engine: created',
  /** Engine: its script (and the modules it imports) evaluated. */
  engineEvaluated: 'engine: script evaluated',
  /** Engine: which runtime (with the page's WebGPU verdict when no backend was asked for). */
  runtimeChoice: 'runtime: choice',
  /** Engine: the one WASM binary, downloaded and compiled while streaming. */
  wasmBinary: 'wasm: download + compile',
  tfjsCore: 'tfjs: core script',
  /** Engine: WASM's Emscripten module instantiated from the compiled binary, its pthread workers running. */
  emscripten: 'wasm: instantiate + threads',
  /** Engine: the chosen backend's script (for WASM: tfjs's WASM backend, its kernels). */
  backendScript: 'runtime: backend script',
  /** Engine: tfjs's backend started on what it needs (WASM: on the Emscripten module; XNNPACK's threads). */
  runtimeStart: 'runtime: start',
  /** Engine: the page's manifest answer read and checked. */
  manifest: 'model: manifest',
  /** Engine: the model's files, downloaded (or read from the cache) and verified. */
  files: 'model: files',
  /** Engine: the generator's graph built from the verified files (graph.ts). */
  generator: 'generator: build',
  /** Engine: the first grid's digits computed. */
  generate: 'generate: first grid',
  /** Page: the first grid on screen. */
  firstGrid: 'first grid drawn',
} as const;

/** `work()`, recorded as the measure `name` (its start and end). */
export async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    performance.measure(name, { start, end: performance.now() });
  }
}
