import type { MiddlewareHandler } from 'hono';

// The page runs WASM (needs 'wasm-unsafe-eval'), tfjs's threaded WASM backend starts workers from
// blob: URLs, and the grid is drawn on canvases exported as data:/blob: PNGs. Nothing else is allowed.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
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
