// The page's two builds, as the browser tests and benchmarks make them:
// - production (npm run build:web → web/dist): what `npm start` and deploys serve, hook-free;
// - test (npm run build:web:test → web/dist-test): the same page plus its debug interface
//   (web/src/debug.ts), for the tests and benchmarks that time or steer the engine.
// Both are built as a shell builds them: vitest sets NODE_ENV=test, with which Vite would build a
// development flavour (Workbox's logging service worker, other page code).
// Node only (no DOM types): tests/bench/shipped-worker.ts builds with it. Driving the test build's
// debug interface is tests/browser/debug-hooks.ts.
import { execFileSync } from 'node:child_process';

/** The test build's folder: `startLocalWorker({ assets: TEST_BUILD, … })` serves it. */
export const TEST_BUILD = 'web/dist-test';

export interface BuildOptions {
  /** The id the page's footer shows ($PAGE_BUILD); by default the commit. */
  pageBuild?: string;
  /**
   * Where to write it, instead of the script's own folder: a test's own folder is not emptied
   * under it by another build of the page in the same checkout (npm start, other tests).
   */
  outDir?: string;
}

function build(script: string, o: BuildOptions): void {
  const { NODE_ENV: _, ...env } = process.env;
  if (o.pageBuild !== undefined) env.PAGE_BUILD = o.pageBuild;
  const args = ['run', script, '--silent', ...(o.outDir === undefined ? [] : ['--', '--outDir', o.outDir])];
  execFileSync('npm', args, { stdio: 'inherit', env });
}

/** Builds the production page (into web/dist unless `outDir` says otherwise). */
export const buildProductionPage = (o: BuildOptions = {}): void => build('build:web', o);

/** Builds the test page (into web/dist-test unless `outDir` says otherwise). */
export const buildTestPage = (o: BuildOptions = {}): void => build('build:web:test', o);
