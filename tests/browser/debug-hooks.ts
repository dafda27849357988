// The test build's debug interface (web/src/debug.ts) as the browser tests and benchmarks reach it.
import type { Page } from 'playwright-core';
import { TEST_BUILD } from './builds.ts';

// Also what types `window.__gan` in the callbacks handed to page.evaluate.
export type { DebugHooks } from '../../web/src/debug.ts';

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
