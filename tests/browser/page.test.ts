// The page in a real headless Chromium against the real worker (wrangler dev, offline) with the
// shipped model in local R2: backends, pixels vs Node, classes, caching, integrity, console.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latents, r2Keys } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { argmax10, classify, loadShippedClassifier } from '../../model/classifier/classify.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { buildProductionPage } from './builds.ts';
import { launchChromium } from './chromium.ts';
import {
  ARTIFACTS,
  compare,
  drawnDigits,
  MODEL,
  nodeDigits,
  open as openPage,
  shipped,
  waitReady,
  waitState,
} from './harness.ts';
import { isWeightFile } from './weight-files.ts';

const manifest = shipped;
const persist = mkdtempSync(join(tmpdir(), 'browser-'));
// The production page, built into a folder of this file's own (see builds.ts).
const site = mkdtempSync(join(tmpdir(), 'browser-site-'));
let worker: LocalWorker;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  buildProductionPage({ outDir: site });
  const store = await openLocalStore(persist);
  await publishModel(store, MODEL, { promote: true });
  await store.close();
  worker = await startLocalWorker({ persistDir: persist, assets: site });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

const open = (context: BrowserContext, query = '') =>
  openPage(context, `${worker.url}/${query}`, consoleErrors);

async function setControls(
  page: Page,
  opts: { n: number; seed: number; digit: number | 'any' },
): Promise<void> {
  const drawn = Number(await page.locator('#grid').getAttribute('data-drawn'));
  await page.selectOption('#count', String(opts.n));
  await page.selectOption('#digit', String(opts.digit));
  await page.fill('#seed', String(opts.seed));
  await page.press('#seed', 'Enter'); // the keyboard path: Enter submits the form
  await page.waitForFunction(
    ([before, seed, digit]) => {
      const g = document.getElementById('grid')!;
      return Number(g.dataset.drawn) > Number(before) && g.dataset.seed === seed && g.dataset.digit === digit;
    },
    [String(drawn), String(opts.seed), String(opts.digit)],
  );
}

describe('the page in Chromium', () => {
  it.each(['wasm', 'webgpu'])(
    'draws digits on %s that match Node-side generation for the same seed and class',
    async (backend) => {
      const context = await browser.newContext();
      const page = await open(context, `?backend=${backend}`);
      await waitReady(page);
      expect(await page.locator('body').getAttribute('data-backend')).toBe(backend);
      await setControls(page, { n: 16, seed: 1234, digit: 3 });
      const diff = compare(
        await drawnDigits(page),
        await nodeDigits(latents(1234, 16, manifest.latentDim, manifest.classes, 3), 16),
      );
      console.log(`${backend} vs Node cpu: max ${diff.max}, mean ${diff.mean.toFixed(3)} gray levels`);
      // Float rounding differs between backends (WebGPU, XNNPACK, JS); a few gray levels at most.
      expect(diff.max).toBeLessThanOrEqual(8);
      expect(diff.mean).toBeLessThan(0.5);
      expect(await page.locator('#timing').textContent()).toMatch(/16 digits in [\d.]+ ms on (WASM|WebGPU)/);
      await page.screenshot({ path: join(ARTIFACTS, `page-${backend}.png`), fullPage: true });
      await context.close();
    },
  );

  it("runs the style grid's filter on WebGPU too: seed 9's broken last row is redrawn, as on WASM", async () => {
    const context = await browser.newContext();
    const page = await open(context, '?view=styles&rows=10&seed=9&backend=webgpu');
    await waitReady(page);
    expect(await page.locator('body').getAttribute('data-backend')).toBe('webgpu');
    expect(await page.locator('#grid').getAttribute('data-redrawn')).toBe('9');
    expect(await page.locator('#timing').textContent()).toMatch(/on WebGPU.*Style 10 redrawn/);
    await context.close();
  });

  it('does not choose a software WebGPU adapter by itself', async () => {
    const context = await browser.newContext();
    const page = await open(context);
    await waitReady(page);
    const hasGpu = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return !!gpu && !!(await gpu.requestAdapter());
    });
    expect(hasGpu).toBe(true); // there is an adapter (SwiftShader), and yet:
    // COOP/COEP from the build's _headers make the page cross-origin isolated: WASM gets its threads,
    // one per core up to 4 (this machine's count: each core is used).
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(4, cores);
    expect(await page.locator('#timing').textContent()).toContain(
      `on WASM SIMD, ${threads} thread${threads === 1 ? '' : 's'}.`,
    );
    expect(await page.locator('body').getAttribute('data-backend')).toBe('wasm');
    expect(await page.locator('#status').textContent()).toMatch(
      'Not using WebGPU: only a software WebGPU adapter',
    );
    await context.close();
  });

  it('the chosen class is what the shipped classifier sees in most digits', async () => {
    const context = await browser.newContext();
    const page = await open(context, '?backend=wasm');
    await waitReady(page);
    const classifier = await loadShippedClassifier();
    for (const digit of [0, 7]) {
      await setControls(page, { n: 64, seed: 99, digit });
      const grays = await drawnDigits(page);
      const values = Float32Array.from(grays, (g) => 1 - (g / 255) * 2); // back to [-1, 1], 1 = ink
      const { probs } = classify(classifier, values);
      const agree = Array.from({ length: 64 }, (_, i) => argmax10(probs, i)).filter(
        (c) => c === digit,
      ).length;
      console.log(`asked for ${digit}: the classifier agrees on ${agree}/64`);
      expect(agree).toBeGreaterThanOrEqual(48);
    }
    classifier.dispose();
    await context.close();
  });

  it('a reload downloads no weights: files come from the cache after their hash is checked', async () => {
    const context = await browser.newContext();
    const page = await open(context, '?backend=wasm');
    await waitReady(page);
    const fileRequests: string[] = [];
    page.on('request', (r) => {
      if (isWeightFile(r.url())) fileRequests.push(r.url());
    });
    await page.reload();
    await waitReady(page);
    expect(fileRequests).toEqual([]);
    expect(await page.locator('#status').textContent()).toMatch('Ready.');
    await context.close();
  });

  it('a tampered weight file shows the integrity error and draws nothing from it', async () => {
    const fresh = await browser.newContext();
    const good = await browser.newContext();
    const warm = await open(good, '?backend=wasm'); // this visitor has the good model cached
    await waitReady(warm);
    await warm.close();
    // A new version (its own weights, so its own shard hash) whose shard was damaged in storage
    // after its manifest was written.
    const store = await openLocalStore(persist);
    const version = '20990101T000000Z-deadbeef';
    const original = manifest.files.find((f) => f.path.endsWith('.bin'))!;
    const intended = new Uint8Array(readFileSync(join(MODEL, original.path)));
    intended[123] ^= 0x55;
    const sha = sha256(intended);
    const shard = { path: `${sha.slice(0, 16)}.bin`, bytes: intended.length, sha256: sha };
    const stored = intended.slice();
    stored[4567] ^= 0x01;
    const files = [manifest.files.find((f) => f.path === 'model.json')!, shard];
    const modelJson = JSON.parse(readFileSync(join(MODEL, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].paths = [shard.path];
    const modelJsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));
    files[0] = {
      path: 'model.json',
      bytes: modelJsonBytes.length,
      sha256: sha256(modelJsonBytes),
    };
    await store.put(r2Keys.file(version, shard.path), stored, 'application/octet-stream');
    await store.put(r2Keys.file(version, 'model.json'), modelJsonBytes, 'application/json');
    const tampered = new TextEncoder().encode(JSON.stringify({ ...manifest, version, files }));
    await store.put(r2Keys.manifest(version), tampered, 'application/json');
    await store.put(r2Keys.latest, tampered, 'application/json');
    await store.close();
    try {
      // model.json arrives after the damaged shard has failed its check: its late progress must
      // not replace the error (it once did, now and then, when the two finished in that order).
      let modelJsonSent: () => void = () => {};
      const modelJsonArrived = new Promise<void>((r) => {
        modelJsonSent = r;
      });
      await fresh.route('**/v1/models/*/model.json', async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.continue();
        modelJsonSent();
      });
      const page = await open(fresh, '?backend=wasm');
      await waitState(page, 'integrity');
      await modelJsonArrived;
      await page.waitForTimeout(500); // its progress, had it been reported, would be on screen now
      expect(await page.locator('#status').getAttribute('data-state')).toBe('integrity');
      expect(await page.locator('#status').textContent()).toMatch(
        `Integrity error: ${shard.path} of ${version} does not match its manifest`,
      );
      expect(await page.locator('#grid').getAttribute('data-drawn')).toBeNull();
      await page.screenshot({ path: join(ARTIFACTS, 'page-integrity.png') });

      const back = await open(good, '?backend=wasm');
      await waitReady(back);
      expect(await back.locator('#status').textContent()).toMatch(
        `Showing the last good model (${manifest.version}) from the cache.`,
      );
    } finally {
      const restore = await openLocalStore(persist);
      await restore.put(
        r2Keys.latest,
        new TextEncoder().encode(JSON.stringify(manifest)),
        'application/json',
      );
      await restore.close();
      await fresh.close();
      await good.close();
    }
  });

  it('clear states when no model is published yet, and when the API cannot be reached', async () => {
    // These pages see failing requests on purpose (the browser logs those), so they stay out of
    // the console check below.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route('**/v1/model', (r) =>
      r.fulfill({
        status: 404,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'no_model', message: 'No model has been published yet.' } }),
      }),
    );
    await page.goto(`${worker.url}/?backend=wasm`);
    await waitState(page, 'no-model');
    expect(await page.locator('#status').textContent()).toContain('No model has been published yet.');
    expect(await page.locator('#generate').isDisabled()).toBe(true);

    const offline = await context.newPage();
    await offline.route('**/v1/model', (r) => r.abort('internetdisconnected'));
    await offline.goto(`${worker.url}/?backend=wasm`);
    await waitState(offline, 'offline');
    expect(await offline.locator('#status').textContent()).toContain(
      'You are offline (the model server cannot be reached). No model is cached yet.',
    );

    // A visitor who has the model cached keeps working offline.
    const warm = await context.newPage();
    await warm.goto(`${worker.url}/?backend=wasm`);
    await waitReady(warm);
    await warm.route('**/v1/model', (r) => r.abort('internetdisconnected'));
    await warm.reload();
    await waitReady(warm);
    expect(await warm.locator('#status').textContent()).toContain(
      `You are offline (the model server cannot be reached). Showing the last good model (${manifest.version}) from the cache.`,
    );
    // A server that takes the request and never answers is given up on, not waited for for ever.
    await warm.unroute('**/v1/model');
    await warm.route('**/v1/model', () => {});
    await warm.reload();
    await waitReady(warm);
    expect(await warm.locator('#status').textContent()).toContain(
      `The model server did not answer within 15 s. Showing the last good model (${manifest.version}) from the cache.`,
    );
    await context.close();
  });

  it('no console errors on any page above', () => {
    expect(consoleErrors).toEqual([]);
  });
});
