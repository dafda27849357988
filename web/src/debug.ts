// The page's debug interface, for the browser tests and benchmarks, in the test build only.
//
// `npm run build:web:test` builds the page into web/dist-test with `__DEBUG_HOOKS__` true: once the
// first digits are drawn, main.ts loads this module, which sets `window.__gan` (below); the engine
// worker then also answers the methods of `EngineDebugApi` (engine/debug.ts). The production build
// (`npm run build:web` → web/dist, what `npm start` and deploys serve) has the flag false, so neither
// module nor any of their names are in it (tests/browser/production-build.test.ts checks the files).
// Serve the test build with `startLocalWorker({ assets: 'web/dist-test', … })`, wait for
// `window.__gan`, then call it from `page.evaluate`.
import type * as Comlink from 'comlink';
import type {
  EngineApi,
  EngineDebugApi,
  KernelTime,
  Mark,
  RequestTiming,
  RuntimeInfo,
} from './engine/api.ts';
import { marks, requestTimings } from './engine/request-timings.ts';

export interface DebugHooks {
  /** The runtime the engine uses now (it changes when a lost WebGPU device falls back to WASM). */
  readonly runtime: RuntimeInfo;
  /** The generator alone, without the page around it: the first call and the warm median. */
  time(n: number, reps: number): Promise<{ firstMs: number; warmMedianMs: number }>;
  /** A plain matmul's speed on the same backend. */
  matmulGflops(size: number, reps: number): Promise<number>;
  /** One warm call of n digits kernel by kernel (tf.profile), each kernel's median ms of `reps` calls. */
  kernels(n: number, reps: number): Promise<KernelTime[]>;
  /**
   * Every request of the page and of the engine, their marks and measures (the cold path's steps),
   * and when navigation started; all in ms since the epoch.
   */
  timeline(): Promise<{
    navigationStart: number;
    requests: (RequestTiming & { thread: 'page' | 'engine' })[];
    marks: (Mark & { thread: 'page' | 'engine' })[];
  }>;
  /** Loses the WebGPU device as a driver reset would (the page should carry on with WASM). */
  loseDevice(): Promise<void>;
}

declare global {
  interface Window {
    __gan?: DebugHooks;
  }
}

/** The HTML document's own request, from Navigation Timing. */
function navigationRequest(): RequestTiming[] {
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  if (!nav) return [];
  const t0 = performance.timeOrigin;
  return [
    {
      url: nav.name,
      start: t0 + nav.requestStart,
      firstByte: t0 + nav.responseStart,
      end: t0 + nav.responseEnd,
      bytes: nav.transferSize,
    },
  ];
}

/** Sets `window.__gan`. The engine is the test build's, whose worker has the debug methods too. */
export function installDebugHooks(engine: Comlink.Remote<EngineApi>, runtime: () => RuntimeInfo): void {
  const debug = engine as unknown as Comlink.Remote<EngineDebugApi>;
  window.__gan = {
    get runtime() {
      return runtime();
    },
    time: (n, reps) => debug.benchTime(n, reps),
    matmulGflops: (size, reps) => debug.matmulGflops(size, reps),
    kernels: (n, reps) => debug.kernelProfile(n, reps),
    loseDevice: () => debug.loseDevice(),
    timeline: async () => {
      const page = <T>(xs: T[]) => xs.map((x) => ({ ...x, thread: 'page' as const }));
      const engine = <T>(xs: T[]) => xs.map((x) => ({ ...x, thread: 'engine' as const }));
      return {
        navigationStart: performance.timeOrigin,
        requests: [
          ...page([...navigationRequest(), ...requestTimings()]),
          ...engine(await debug.requestTimings()),
        ],
        marks: [...page(marks()), ...engine(await debug.stepMarks())],
      };
    },
  };
}
