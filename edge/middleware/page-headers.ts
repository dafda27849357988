import type { MiddlewareHandler } from 'hono';

// The page runs WASM (needs 'wasm-unsafe-eval'); tfjs's threaded WASM backend starts its workers
// from blob: URLs and they importScripts() another blob: (script-src applies to that); the grid is
// exported as a blob: PNG. Blob URLs can only be minted by the page's own scripts. Nothing else.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Cross-origin isolation (SharedArrayBuffer for WASM threads) and a strict CSP for the page. */
export const pageHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set('Cross-Origin-Opener-Policy', 'same-origin');
  h.set('Cross-Origin-Embedder-Policy', 'require-corp');
  h.set('Cross-Origin-Resource-Policy', 'same-origin');
  h.set('Content-Security-Policy', CSP);
};
