// The page's two builds, as the browser tests and benchmarks make them:
// - production (npm run build:web → web/dist): what `npm start` and deploys serve, hook-free;
// - test (npm run build:web:test → web/dist-test): the same page plus its debug interface
//   (web/src/debug.ts), for the tests and benchmarks that time or steer the engine.
// Both are built as a shell builds them: vitest sets NODE_ENV=test, with which Vite would build a
// development flavour (Workbox's logging service worker, other page code).
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';

// Also what types `window.__gan` in the callbacks handed to page.evaluate.
export type { DebugHooks } from '../../web/src/debug.ts';

export const PRODUCTION_BUILD = 'web/dist';
/** The test build's folder: `startLocalWorker({ assets: TEST_BUILD, … })` serves it. */
export const TEST_BUILD = 'web/dist-test';

function build(script: string, pageBuild: string | undefined): void {
  const { NODE_ENV: _, ...env } = process.env;
  if (pageBuild !== undefined) env.PAGE_BUILD = pageBuild;
  execFileSync('npm', ['run', script, '--silent'], { stdio: 'inherit', env });
}

/** Builds the production page; `pageBuild` is the id its footer shows (as $PAGE_BUILD). */
export const buildProductionPage = (pageBuild?: string): void => build('build:web', pageBuild);

/** Builds the test page; `pageBuild` is the id its footer shows (as $PAGE_BUILD). */
export const buildTestPage = (pageBuild?: string): void => build('build:web:test', pageBuild);

/** Waits for `window.__gan`, which the test build sets once the first digits are drawn. */
export async function waitForDebugHooks(page: Page, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(() => window.__gan !== undefined, null, { timeout });
  } catch {
    throw new Error(
      `window.__gan did not appear within ${timeout / 1000} s on ${page.url()}: is this the test build ` +
        `(npm run build:web:test, served from ${TEST_BUILD})?`,
    );
  }
}
