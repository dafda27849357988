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

/**
 * tfjs 4.22's threaded WASM build starts a pool of 8 pthread workers, a number fixed when it was
 * linked (Emscripten's PTHREAD_POOL_SIZE), whatever the thread count: on a 2-core machine, 7 of
 * them loaded and sat idle. This rewrites that one statement so the pool's size is
 * Module.pthreadPoolSize, which the engine sets to the threads it uses minus its own
 * (web/src/engine/wasm-backend.ts); 8 when unset, as before. A tfjs whose text differs fails the
 * build here, rather than silently starting 8 workers again.
 */
function pthreadPoolSize(): Plugin {
  const file = '/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
  const fixed = 'var pthreadPoolSize=8;';
  return {
    name: 'tfjs-pthread-pool-size',
    transform(code, id) {
      // The module, and its text (emscripten.ts runs the text; the workers start from it too).
      if (!id.endsWith(file) && !id.endsWith(`${file}?raw`)) return null;
      if (!code.includes(fixed))
        this.error(`${file} no longer contains '${fixed}': see pthreadPoolSize() in web/vite.config.ts`);
      return { code: code.replace(fixed, 'var pthreadPoolSize=Module.pthreadPoolSize??8;'), map: null };
    },
  };
}

// tfjs starts its threaded-WASM workers from the source text of an Emscripten factory
// (Function.prototype.toString). The compressor rewrites `typeof _scriptDir != "undefined" &&
// _scriptDir` into a bare reference to the enclosing variable, which does not exist inside the
// worker. Mangling alone keeps that guard intact. tfjs runs in the engine worker's bundle.
const minify = { compress: false, mangle: true } as const;

/**
 * What the engine's WASM start needs beyond tfjs-core, as one chunk: tfjs's WASM backend (not the
 * factories' `?raw` texts nor the `.wasm?url` modules: those are the engine's own, emscripten.ts
 * and wasm-binary.ts) and the CPU backend's kernel code it reuses, which would otherwise be chunks
 * of their own, requested only once this one has arrived.
 */
const WASM_BACKEND_MODULES = [
  /engine[\\/]wasm-backend\.ts$/,
  /tfjs-backend-wasm[\\/](dist[\\/].*|wasm-out[\\/][\w.-]+)\.js$/,
  // tfjs-backend-wasm/dist/kernel_utils/shared.ts names them
  /tfjs-backend-cpu[\\/]dist[\\/](cpu_util|kernels[\\/](Concat_impl|Slice|Range_impl|StringNGrams_impl|StringSplit_impl|StringToHashBucketFast_impl|Unique_impl))\.js$/,
];

const matches = (res: RegExp[]) => (id: string) => res.some((re) => re.test(id));

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
  // The style-row filter's weights, which its module imports `?inline` (web/src/engine/style-filter.ts).
  assetsInclude: ['**/contract/style-filter/weights.bin'],
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
        // Not the three WASM builds: the engine keeps the one it runs (web/src/wasm-cache.ts).
        globPatterns: ['**/*.{html,js,css,png,svg,webmanifest}'],
      },
    }),
  ],
  worker: {
    format: 'es',
    plugins: () => [pthreadPoolSize()],
    rolldownOptions: {
      output: {
        minify,
        // What loads side by side on the cold path, each as one file (see above); and tfjs-layers,
        // which only a model the page's graph does not compile needs, by its name.
        codeSplitting: {
          groups: [
            { name: 'wasm-backend', test: matches(WASM_BACKEND_MODULES) },
            { name: 'tfjs-layers', test: /[\\/]@tensorflow[\\/]tfjs-layers[\\/]/ },
          ],
          includeDependenciesRecursively: false,
        },
      },
    },
  },
  build: {
    outDir: mode === TEST_MODE ? 'dist-test' : 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { output: { minify } },
  },
}));
