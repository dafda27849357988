// What the browser tests share: opening the page with its console watched, waiting for its states,
// reading the drawn digits back, and what Node's tfjs draws for the same latents.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { expect } from 'vitest';
import { filterStyleRows, type Latents, latents, manifestSchema } from '../../contract/index.ts';
import { loadShippedClassifier } from '../../model/classifier/classify.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { gray, gridShape, SIZE } from '../../web/src/grid.ts';

export const MODEL = 'model/shipped';
export const ARTIFACTS = 'test-artifacts';
export const shipped = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));

// Requests each page (and its workers) has started and not yet finished, and those that failed:
// what a hang or an error was waiting for.
const inFlight = new WeakMap<Page, Map<Request, number>>();
const failed = new WeakMap<Page, string[]>();

function trackRequests(page: Page): void {
  const pending = new Map<Request, number>();
  const failures: string[] = [];
  inFlight.set(page, pending);
  failed.set(page, failures);
  page.on('request', (r) => pending.set(r, Date.now()));
  page.on('requestfinished', (r) => pending.delete(r));
  page.on('requestfailed', (r) => {
    pending.delete(r);
    failures.push(`${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`);
  });
}

/**
 * What `page` is waiting for and what failed on it, for error messages, with what its workers'
 * Resource Timing says they fetched (a request that never completed is missing there).
 */
async function requestReport(page: Page): Promise<string> {
  const failures = failed.get(page) ?? [];
  const fetched: string[] = [];
  // Not the engine's pthread workers (blob: URLs): one running a WASM thread sits in Atomics.wait
  // between tasks, and an evaluate there never returns.
  for (const w of page.workers().filter((w) => !w.url().startsWith('blob:'))) {
    const entries = await w
      .evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((e) => {
            const r = e as PerformanceResourceTiming;
            return `${new URL(r.name).pathname} ${r.encodedBodySize} B by ${Math.round(r.responseEnd)} ms`;
          })
          .filter((t) => t.startsWith('/v1/')),
      )
      .catch(() => []);
    fetched.push(...entries);
  }
  return (
    `requests in flight: ${pendingRequests(page).join(', ') || 'none'}; ` +
    `failed: ${failures.slice(-5).join(', ') || 'none'}; engine fetched: ${fetched.join(', ') || 'nothing'}`
  );
}

/** The requests `page` is still waiting for, oldest first, e.g. "GET /v1/model (12.3 s)". */
export function pendingRequests(page: Page): string[] {
  const now = Date.now();
  return [...(inFlight.get(page) ?? [])]
    .sort((a, b) => a[1] - b[1])
    .map(([r, t]) => `${r.method()} ${new URL(r.url()).pathname} (${((now - t) / 1000).toFixed(1)} s)`);
}

/** Opens `url` in a new page of `context`; its console errors and uncaught errors go to `errors`. */
export async function open(context: BrowserContext, url: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  trackRequests(page);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
    // A second engine start is recovered from, but the log shows how often it happens.
    if (m.type() === 'warning' && m.text().startsWith('The engine is started once more'))
      console.log(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  await page.goto(url);
  return page;
}

/** Waits for the page's status to reach `state`; on a timeout, says where it stood instead. */
export async function waitState(page: Page, state: string, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction((s) => document.getElementById('status')?.dataset.state === s, state, {
      timeout,
    });
  } catch (e) {
    const now = await page.locator('#status').getAttribute('data-state');
    const text = await page.locator('#status').textContent();
    throw new Error(
      `status never became '${state}'; it is '${now}': ${text}; ${await requestReport(page)} (${(e as Error).message})`,
    );
  }
}

/**
 * Waits until digits are drawn and the page says it is ready. On a timeout it says where the page
 * stood and which requests it was still waiting for, so a hang in CI names its cause.
 */
export async function waitReady(page: Page, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction(
      () => {
        const s = document.getElementById('status')?.dataset.state;
        // 'error' is final: waiting on would only hide it.
        return (
          s === 'error' ||
          (s !== 'loading' && s !== 'downloading' && document.getElementById('grid')?.dataset.drawn)
        );
      },
      null,
      { timeout },
    );
  } catch (e) {
    const state = await page.locator('#status').getAttribute('data-state');
    const text = await page.locator('#status').textContent();
    throw new Error(
      `no digits drawn within ${timeout / 1000} s; status '${state}': ${text}; ${await requestReport(page)} ` +
        `(${(e as Error).message.split('\n')[0]})`,
    );
  }
  expect(
    await page.locator('#status').getAttribute('data-state'),
    `${await page.locator('#status').textContent()}; ${await requestReport(page)}`,
  ).toBe('ready');
}

/** The canvas as drawn: its size and one gray level per pixel. */
export async function canvasGrays(page: Page): Promise<{ w: number; h: number; data: number[] }> {
  return page.evaluate(() => {
    const c = document.getElementById('grid') as HTMLCanvasElement;
    const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    return { w: c.width, h: c.height, data: Array.from(d.filter((_, i) => i % 4 === 0)) };
  });
}

/** The drawn grid's gray levels, digit by digit (n × 784), for a grid of `cols` columns. */
export async function drawnDigits(page: Page, cols?: number): Promise<Uint8Array> {
  const { w, h, data } = await canvasGrays(page);
  const n = Number(await page.locator('#grid').getAttribute('data-n'));
  const shape = gridShape(n, cols);
  expect(w).toBe(shape.cols * SIZE);
  expect(h).toBe(shape.rows * SIZE);
  const out = new Uint8Array(n * SIZE * SIZE);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        out[k * 784 + y * SIZE + x] =
          data[(Math.floor(k / shape.cols) * SIZE + y) * w + (k % shape.cols) * SIZE + x];
      }
    }
  }
  return out;
}

/** What Node's tfjs (CPU) makes of the shipped model for these latents, as gray levels. */
export async function nodeDigits(l: Latents, n: number): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const model = await loadLayersModelFromDir(MODEL);
  const values = tf.tidy(() => {
    const z = tf.tensor2d(l.z, [n, shipped.latentDim]);
    const inputs = l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [n, 1])] : z;
    return (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
  model.dispose();
  return Uint8Array.from(values, gray);
}

/** The seed's style grid as the page filters it (contract/style-filter.ts), read in Node on cpu. */
export async function nodeStyleGrid(seed: number, rows: number) {
  await tf.setBackend('cpu');
  const [model, filter] = await Promise.all([loadLayersModelFromDir(MODEL), loadShippedClassifier('filter')]);
  const dim = shipped.latentDim;
  const read = (l: Latents, n: number) =>
    tf.tidy(() => {
      const z = tf.tensor2d(l.z, [n, dim]);
      const digits = model.predict([z, tf.tensor2d(Float32Array.from(l.labels!), [n, 1])]) as tf.Tensor;
      const logits = filter.predict(tf.reshape(digits, [n, 28, 28, 1])) as tf.Tensor;
      return tf.logSoftmax(logits).dataSync() as Float32Array;
    });
  const grid = await filterStyleRows(seed, latents(seed, rows, dim, 0, 'any').z, dim, shipped.classes, read);
  model.dispose();
  filter.dispose();
  return grid;
}

export { absDiff as compare } from '../array-diff.ts';
