// The threaded build's texts in one file (one request): its Emscripten factory, and its pthread
// workers' script (`module.exports.wasmWorkerContents`). emscripten.ts runs them.
export { default as factory } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';
export { default as pthread } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js?raw';
