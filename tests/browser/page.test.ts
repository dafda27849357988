// The page in a real headless Chromium against the real worker (wrangler dev, offline) with the
// shipped model in local R2: backends, pixels vs Node, classes, caching, integrity, console.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latents, manifestSchema, r2Keys } from '../../contract/index.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { argmax10, classify, loadShippedClassifier } from '../../train/classifier/classify.ts';
import { sha256 } from '../../train/hash.ts';
import { loadLayersModelFromDir } from '../../train/model-io.ts';
import { gray, gridShape, SIZE } from '../../web/src/grid.ts';
import { launchChromium } from './chromium.ts';

const MODEL = 'train/pretrained';
const ARTIFACTS = 'test-artifacts';
const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));
const persist = mkdtempSync(join(tmpdir(), 'browser-'));
let worker: LocalWorker;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  spawnSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
  const store = await openLocalStore(persist);
  await publishModel(store, MODEL, { promote: true });
  await store.close();
  worker = await startLocalWorker({ persistDir: persist });
  browser = await launchChromium();
  await tf.setBackend('cpu');
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
});

async function open(context: BrowserContext, query = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  await page.goto(`${worker.url}/${query}`);
  return page;
}

/** Waits for the page's status to reach `state`; on a timeout, says where it stood instead. */
async function waitState(page: Page, state: string, timeout = 120_000): Promise<void> {
  try {
    await page.waitForFunction((s) => document.getElementById('status')?.dataset.state === s, state, {
      timeout,
    });
  } catch (e) {
    const now = await page.locator('#status').getAttribute('data-state');
    const text = await page.locator('#status').textContent();
    throw new Error(`status never became '${state}'; it is '${now}': ${text} (${(e as Error).message})`);
  }
}

async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.getElementById('status')?.dataset.state;
      return s !== 'loading' && s !== 'downloading' && document.getElementById('grid')?.dataset.drawn;
    },
    null,
    { timeout: 120_000 },
  );
  expect(
    await page.locator('#status').getAttribute('data-state'),
    (await page.locator('#status').textContent()) ?? undefined,
  ).toBe('ready');
}

/** The drawn grid's gray levels, digit by digit (n × 784). */
async function drawnDigits(page: Page): Promise<Uint8Array> {
  const { w, h, data } = await page.evaluate(() => {
    const c = document.getElementById('grid') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { w: c.width, h: c.height, data: Array.from(d.filter((_, i) => i % 4 === 0)) };
  });
  const n = Number(await page.locator('#grid').getAttribute('data-n'));
  const { cols } = gridShape(n);
  expect(w).toBe(cols * SIZE);
  expect(h).toBe(Math.ceil(n / cols) * SIZE);
  const out = new Uint8Array(n * SIZE * SIZE);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        out[k * 784 + y * SIZE + x] = data[(Math.floor(k / cols) * SIZE + y) * w + (k % cols) * SIZE + x];
      }
    }
  }
  return out;
}

/** What Node's tfjs (CPU) makes of the same model, seed and class, as gray levels. */
async function nodeDigits(
  seed: number,
  n: number,
  digit: number | 'any',
): Promise<{ grays: Uint8Array; values: Float32Array }> {
  const model = await loadLayersModelFromDir(MODEL);
  const l = latents(seed, n, manifest.latentDim, manifest.classes, digit);
  const values = tf.tidy(() => {
    const z = tf.tensor2d(l.z, [n, manifest.latentDim]);
    const inputs = l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [n, 1])] : z;
    return (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
  model.dispose();
  return { grays: Uint8Array.from(values, gray), values };
}

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

function compare(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
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
      const diff = compare(await drawnDigits(page), (await nodeDigits(1234, 16, 3)).grays);
      console.log(`${backend} vs Node cpu: max ${diff.max}, mean ${diff.mean.toFixed(3)} gray levels`);
      // Float rounding differs between backends (WebGPU, XNNPACK, JS); a few gray levels at most.
      expect(diff.max).toBeLessThanOrEqual(8);
      expect(diff.mean).toBeLessThan(0.5);
      expect(await page.locator('#timing').textContent()).toMatch(/16 digits in [\d.]+ ms on (WASM|WebGPU)/);
      await page.screenshot({ path: join(ARTIFACTS, `page-${backend}.png`), fullPage: true });
      await context.close();
    },
  );

  it('does not choose a software WebGPU adapter by itself', async () => {
    const context = await browser.newContext();
    const page = await open(context);
    await waitReady(page);
    const hasGpu = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return !!gpu && !!(await gpu.requestAdapter());
    });
    expect(hasGpu).toBe(true); // there is an adapter (SwiftShader), and yet:
    // COOP/COEP from web/public/_headers make the page cross-origin isolated: WASM gets its threads.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.locator('#timing').textContent()).toContain('WASM SIMD + threads');
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
      // A version's files (its manifest may be asked for again: it is not weights).
      if (/\/v1\/models\/[^/]+\/[^/?]+/.test(r.url())) fileRequests.push(r.url());
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
      const page = await open(fresh, '?backend=wasm');
      await waitState(page, 'integrity');
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
      'You are offline and no model is cached yet.',
    );

    // A visitor who has the model cached keeps working offline.
    const warm = await context.newPage();
    await warm.goto(`${worker.url}/?backend=wasm`);
    await waitReady(warm);
    await warm.route('**/v1/model', (r) => r.abort('internetdisconnected'));
    await warm.reload();
    await waitReady(warm);
    expect(await warm.locator('#status').textContent()).toContain(
      `Showing the last good model (${manifest.version}) from the cache.`,
    );
    await context.close();
  });

  it('no console errors on any page above', () => {
    expect(consoleErrors).toEqual([]);
  });
});
