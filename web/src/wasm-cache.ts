// The Cache API cache of the WASM binary this device runs: the engine keeps the one it downloaded
// (engine/wasm-binary.ts) and the service worker answers with it (sw.ts), so a repeat or offline
// visit has it without the service worker's precache holding all three of tfjs's builds.
export const WASM_CACHE = 'mnist-gan-wasm-v1';
