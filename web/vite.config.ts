import { execFileSync } from 'node:child_process';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
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

// tfjs starts its threaded-WASM workers from the source text of an Emscripten factory
// (Function.prototype.toString). The compressor rewrites `typeof _scriptDir != "undefined" &&
// _scriptDir` into a bare reference to the enclosing variable, which does not exist inside the
// worker. Mangling alone keeps that guard intact. tfjs runs in the engine worker's bundle.
const minify = { compress: false, mangle: true } as const;

/** Which deploy a page is (shown in its footer): $PAGE_BUILD, else the commit it was built from. */
function buildId(): string {
  if (process.env.PAGE_BUILD) return process.env.PAGE_BUILD;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'dev';
  }
}

/**
 * `--mode test` (npm run build:web:test) is the page with its debug interface (web/src/debug.ts,
 * web/src/engine/debug.ts) for the browser tests and benchmarks, in web/dist-test. Any other mode,
 * the production build (npm run build:web → web/dist), compiles it out: `__DEBUG_HOOKS__` is the
 * literal `false` there, and the bundler drops the code and the modules only it reaches.
 */
const TEST_MODE = 'test';

export default defineConfig(({ mode }) => ({
  root: 'web',
  define: {
    __PAGE_BUILD__: JSON.stringify(buildId()),
    __DEBUG_HOOKS__: JSON.stringify(mode === TEST_MODE),
  },
  plugins: [
    cloudflareHeaders(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false, // web/src/offline.ts registers it after the first digits are drawn
      manifest: {
        name: 'MNIST digits, generated on your device',
        short_name: 'GAN digits',
        description: 'A small GAN that draws handwritten digits on your own device, offline too.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#1f2937',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{html,js,css,wasm,png,svg,webmanifest}'],
      },
    }),
  ],
  worker: { format: 'es', rolldownOptions: { output: { minify } } },
  build: {
    outDir: mode === TEST_MODE ? 'dist-test' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { output: { minify } },
  },
}));
