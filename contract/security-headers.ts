// The security headers, defined once. The worker sends the shared ones on every response (Hono's
// secureHeaders, edge/middleware/security-headers.ts); the page's build writes all of them into the
// `_headers` file that Cloudflare Static Assets applies to the page and its files (web/vite.config.ts).

/** Browser features nothing of ours uses: denied to the page and to anything it would embed. */
export const DENIED_FEATURES = ['camera', 'microphone', 'geolocation'] as const;

/** Headers every response carries, API or page. */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Permissions-Policy': DENIED_FEATURES.map((feature) => `${feature}=()`).join(', '),
} as const;

/**
 * The page's own headers. Cross-origin isolation (COOP + COEP) gives the WASM backend its threads.
 * The CSP allows WASM ('wasm-unsafe-eval') and tfjs's threaded-WASM workers, which start from blob:
 * URLs and importScripts() another blob:; blob: URLs can only be minted by the page's own scripts.
 * No 'unsafe-eval': code that probes for eval must not run on the page, as a refused probe is still
 * a CSP violation that Chromium lists as an issue (Lighthouse best practices): zod would, unless
 * jitless (contract/zod.ts).
 * The API must not send these: its files are read by pages on other origins (CORP cross-origin).
 */
export const PAGE_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': [
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
  ].join('; '),
} as const;

/**
 * The page build's hashed files (/assets/*): a new content is a new name, so browsers keep them
 * without asking again; a reload, the engine's worker and the service worker's precache then read
 * them from the HTTP cache instead of revalidating each one.
 */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * Cloudflare Static Assets' `_headers` file: the page's own headers and the shared ones, on every
 * path; the hashed files' Cache-Control.
 */
export function headersFile(): string {
  const lines = Object.entries({ ...PAGE_HEADERS, ...SECURITY_HEADERS }).map(
    ([name, value]) => `  ${name}: ${value}`,
  );
  return [
    '# Written by the page build (web/vite.config.ts) from contract/security-headers.ts: edit that.',
    '/*',
    ...lines,
    '/assets/*',
    `  Cache-Control: ${ASSET_CACHE_CONTROL}`,
    '',
  ].join('\n');
}
