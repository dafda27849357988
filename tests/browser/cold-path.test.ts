// The cold path's structure in the production page, in headless Chromium against the local worker:
// what a first visit fetches and starts before the first grid, not how long it takes. One WASM
// build is loaded (the one the runtime chose) and its binary is fetched once; nothing is fetched
// twice; tfjs-layers is not (the page runs the model as its own graph); the engine starts one
// pthread worker per thread beyond its own; the history panel, the offline set-up and the icons
// wait for the first grid.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { STEP } from '../../web/src/engine/steps.ts';
import { buildProductionPage } from './builds.ts';
import { launchChromium } from './chromium.ts';
import { MODEL, open, waitReady } from './harness.ts';

const persist = mkdtempSync(join(tmpdir(), 'cold-path-'));
// The production page, built into a folder of this file's own (see builds.ts).
const site = mkdtempSync(join(tmpdir(), 'cold-path-site-'));
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

/** What one cold visit requested and started, up to its first grid and after it. */
async function coldVisit(query: string) {
  const context = await browser.newContext();
  const requests: string[] = []; // the page's and all its workers', before the first grid
  const after: string[] = []; // once the first grid is on screen
  const workers: string[] = [];
  let drawn = false;
  const path = (u: string) => (u.startsWith('blob:') ? 'blob:' : new URL(u).pathname);
  context.on('request', (r) => (drawn ? after : requests).push(path(r.url())));
  // The moment the grid is drawn, as the page sees it (set up before any of its own scripts runs).
  await context.exposeFunction('__drawn', () => {
    drawn = true;
  });
  await context.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      const grid = document.getElementById('grid') as HTMLElement;
      new MutationObserver((_, o) => {
        if (!grid.dataset.drawn) return;
        o.disconnect();
        (window as unknown as { __drawn(): void }).__drawn();
      }).observe(grid, { attributes: true, attributeFilter: ['data-drawn'] });
    });
  });
  context.on('page', (p) => p.on('worker', (w) => workers.push(path(w.url()))));
  const page = await open(context, `${worker.url}/${query}`, consoleErrors);
  await waitReady(page);
  const label = (await page.locator('#timing').textContent()) ?? '';
  await page.waitForLoadState('networkidle');
  // The page thread's own steps (web/src/engine/steps.ts), in ms since its navigation.
  const steps = await page.evaluate(() =>
    Object.fromEntries(performance.getEntries().map((e) => [e.name, e.startTime] as const)),
  );
  await context.close();
  return { requests, after, workers, label, steps };
}

describe('the cold path', () => {
  it.each([
    ['auto (no WebGPU hardware here: WASM)', ''],
    ['?backend=wasm', '?backend=wasm'],
    ['?backend=wasm&threads=1', '?backend=wasm&threads=1'],
    ['?backend=wasm-simd', '?backend=wasm-simd'],
  ])(
    '%s: one WASM build, its binary once, a pool of threads − 1, nothing fetched twice',
    async (_, query) => {
      const visit = await coldVisit(query);
      const threads = Number(visit.label.match(/(\d+) threads?\./)?.[1]);
      expect(visit.label, 'the runtime says what runs').toMatch(/on WASM SIMD, \d+ threads?\./);
      const binaries = visit.requests.filter((p) => p.endsWith('.wasm'));
      const build = threads > 1 ? 'tfjs-backend-wasm-threaded-simd' : 'tfjs-backend-wasm-simd';
      expect(binaries, `the WASM binaries requested before the first grid (${visit.label})`).toHaveLength(1);
      expect(binaries[0]).toMatch(new RegExp(`^/assets/${build}-[\\w-]+\\.wasm$`));
      expect(
        visit.after.filter((p) => p.endsWith('.wasm')),
        'no binary after the first grid either',
      ).toEqual([]);
      // The build's Emscripten factory, fetched as its source text: that build's only. (The service
      // worker's precache takes every script after the first grid, small as they are, for offline.)
      const factories = visit.requests.filter((p) =>
        /^\/assets\/(tfjs-backend-wasm|threaded-factory)-[\w-]+\.js$/.test(p),
      );
      expect(factories, 'the Emscripten factories fetched').toHaveLength(1);
      expect(factories[0].startsWith('/assets/threaded-factory-'), factories[0]).toBe(threads > 1);
      // The shipped model runs as the page's own graph of tfjs-core ops (engine/graph.ts); the
      // build has tfjs-layers, under this name, for a model that graph does not compile.
      expect(
        readdirSync(join(site, 'assets')).filter((f) => /^tfjs-layers-[\w-]+\.js$/.test(f)),
      ).toHaveLength(1);
      expect(
        visit.requests.filter((p) => /^\/assets\/tfjs-layers-/.test(p)),
        'tfjs-layers before the first grid',
      ).toEqual([]);
      const twice = visit.requests.filter((p, i) => p !== 'blob:' && visit.requests.indexOf(p) !== i);
      expect(twice, 'requested more than once before the first grid').toEqual([]);
      // The engine's worker, and XNNPACK's extra threads (the engine's own thread is one of them).
      expect(visit.workers.filter((w) => w === 'blob:')).toHaveLength(threads - 1);
      expect(visit.workers.filter((w) => w !== 'blob:')).toHaveLength(1);
      if (query === '?backend=wasm-simd' || query.includes('threads=1')) expect(threads).toBe(1);
      // With no backend asked for, the page asks for a WebGPU adapter before it creates the engine,
      // so the answer is ready when the engine chooses; asked for one, nobody probes.
      const probe = visit.steps[STEP.webgpuProbe];
      if (query) expect(probe, 'no WebGPU probe when a backend is asked for').toBeUndefined();
      else expect(probe).toBeLessThan(visit.steps[STEP.engineCreated]);
    },
  );

  it('the history panel, the offline set-up and the icons load after the first grid', async () => {
    const visit = await coldVisit('?backend=wasm');
    const late = [/^\/assets\/history-/, /^\/assets\/offline-/, /^\/icons\//, /^\/sw\.js$/, /^\/v1\/models$/];
    for (const re of late)
      expect(
        visit.requests.filter((p) => re.test(p)),
        String(re),
      ).toEqual([]);
    for (const re of late.slice(0, 4))
      expect(
        visit.after.some((p) => re.test(p)),
        `${re} after the grid`,
      ).toBe(true);
    // Not even the browser's own /favicon.ico.
    expect(visit.requests).not.toContain('/favicon.ico');
  });

  it('no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
