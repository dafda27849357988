import { defineConfig } from 'vite';

export default defineConfig({
  root: 'web',
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
