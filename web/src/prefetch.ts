// The WASM binary is the largest file the runtime needs. The page asks for it as soon as it knows
// the likely backend, so its download overlaps the worker's start and the weights' download.
import type { BackendChoice } from './url-state.ts';

export function prefetchWasm(choice: BackendChoice | null): void {
  if (choice === 'webgpu' || choice === 'cpu') return;
  const threaded = choice !== 'wasm-simd' && self.crossOriginIsolated;
  const binary = threaded
    ? import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.wasm?url')
    : import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm?url');
  void binary.then(({ default: href }) => {
    const link = document.createElement('link');
    Object.assign(link, { rel: 'preload', as: 'fetch', href, crossOrigin: 'anonymous' });
    document.head.append(link);
  });
}
