// What the browser tests share: opening the page with its console watched, waiting for its states,
// reading the drawn digits back, and what Node's tfjs draws for the same latents.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { type Latents, manifestSchema } from '../../contract/index.ts';
import { loadLayersModelFromDir } from '../../train/model-io.ts';
import { gray, gridShape, SIZE } from '../../web/src/grid.ts';

export const MODEL = 'train/pretrained';
export const ARTIFACTS = 'test-artifacts';
export const shipped = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));

/** Opens `url` in a new page of `context`; its console errors and uncaught errors go to `errors`. */
export async function open(context: BrowserContext, url: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
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
    throw new Error(`status never became '${state}'; it is '${now}': ${text} (${(e as Error).message})`);
  }
}

/** Waits until digits are drawn and the page says it is ready. */
export async function waitReady(page: Page): Promise<void> {
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

export { absDiff as compare } from '../array-diff.ts';
