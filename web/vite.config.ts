import { defineConfig, type Plugin } from 'vite';
import { headersFile } from '../contract/security-headers.ts';

/**
 * Writes Cloudflare's `_headers` (the page's isolation, CSP and shared security headers) into the
 * build, from the module the worker's own headers come from, so the two cannot drift apart.
 */
function cloudflareHeaders(): Plugin {
  return {
    name: 'cloudflare-headers',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile() });
    },
  };
}

export default defineConfig({
  root: 'web',
  plugins: [cloudflareHeaders()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      // tfjs starts its threaded-WASM workers from the source text of an Emscripten factory
      // (Function.prototype.toString). The compressor rewrites `typeof _scriptDir != "undefined" &&
      // _scriptDir` into a bare reference to the enclosing variable, which does not exist inside
      // the worker. Mangling alone keeps that guard intact.
      output: { minify: { compress: false, mangle: true } },
    },
  },
});
