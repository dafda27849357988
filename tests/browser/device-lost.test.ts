// The WebGPU → WASM fallback in headless Chromium against the real local worker: a lost device (as
// a driver reset loses it) leaves the page drawing with WASM. And a first visit's model files are
// requested before the engine has checked the manifest (engine/model-files.ts). Both take the
// engine's debug interface (its device, its timeline), so this file serves the test build (npm run
// build:web:test); the other browser tests run the production build.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { STEP } from '../../web/src/engine/steps.ts';
import { buildTestPage } from './builds.ts';
import { launchChromium } from './chromium.ts';
import { waitForDebugHooks } from './debug-hooks.ts';
import { MODEL, open, waitReady } from './harness.ts';
import { isWeightFile } from './weight-files.ts';

const persist = mkdtempSync(join(tmpdir(), 'device-lost-'));
const site = mkdtempSync(join(tmpdir(), 'device-lost-site-')); // the test build, this file's own
let worker: LocalWorker;
let browser: Browser;

beforeAll(async () => {
  buildTestPage({ outDir: site });
  const store = await openLocalStore(persist);
  await publishModel(store, MODEL, { promote: true });
  await store.close();
  worker = await startLocalWorker({ persistDir: persist, assets: site });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

it('carries on with WASM when the WebGPU device is lost, and draws again', async () => {
  const errors: string[] = [];
  const context = await browser.newContext();
  const page = await open(context, `${worker.url}/?backend=webgpu&n=16`, errors);
  await waitReady(page);
  expect(await page.locator('body').getAttribute('data-backend')).toBe('webgpu');
  await waitForDebugHooks(page);
  const drawn = Number(await page.locator('#grid').getAttribute('data-drawn'));
  await page.evaluate(() => window.__gan?.loseDevice());
  await page.waitForFunction(
    (d) =>
      document.body.dataset.backend === 'wasm' && Number(document.getElementById('grid')?.dataset.drawn) > d,
    drawn,
    { timeout: 60_000 },
  );
  await waitReady(page);
  expect(await page.locator('#status').textContent()).toMatch(
    /The WebGPU device was lost \(.*\); switched to WASM\./,
  );
  expect(await page.locator('#timing').textContent()).toMatch(/16 digits in [\d.]+ ms on WASM/);
  expect(await page.evaluate(() => window.__gan?.runtime.kind)).toBe('wasm');
  await context.close();
  expect(errors).toEqual([]);
});

it('a first visit requests the model files before the manifest is checked, each once; a reload none', async () => {
  const errors: string[] = [];
  const context = await browser.newContext();
  const page = await open(context, `${worker.url}/?backend=wasm`, errors);
  await waitReady(page);
  await waitForDebugHooks(page);
  const first = await page.evaluate(() => window.__gan!.timeline());
  const files = first.requests.filter((r) => isWeightFile(r.url));
  const check = first.marks.find((m) => m.name === STEP.manifest);
  expect(files.map((r) => new URL(r.url).pathname.split('/').pop()).sort()).toEqual(
    ['model.json', expect.stringMatching(/\.bin$/)].sort(),
  );
  expect(check, 'the engine marks its check of the manifest').toBeDefined();
  // Started from the page's answer as it arrived, not once the schema library had loaded.
  for (const r of files) expect(r.start, r.url).toBeLessThan(check!.start);
  await page.reload();
  await waitReady(page);
  await waitForDebugHooks(page);
  const again = await page.evaluate(() => window.__gan!.timeline());
  expect(again.requests.filter((r) => isWeightFile(r.url))).toEqual([]);
  await context.close();
  expect(errors).toEqual([]);
});
