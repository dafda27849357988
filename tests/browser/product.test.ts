// The page as a product, in headless Chromium against the real local worker: it answers the
// visitor while the engine worker draws, the style grid, links that reproduce what is on screen
// (Back/Forward, Copy link), the model history, installability, offline use after one visit, and a
// clean switch to a new deploy's files.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeFiles, styleLatents } from '../../contract/index.ts';
import { argmax10, classify, loadShippedClassifier } from '../../model/classifier/classify.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { buildProductionPage } from './builds.ts';
import { launchChromium } from './chromium.ts';
import {
  ARTIFACTS,
  canvasGrays,
  compare,
  drawnDigits,
  MODEL,
  nodeDigits,
  nodeStyleGrid,
  open as openPage,
  shipped,
  waitReady,
} from './harness.ts';
import { inflightReport, trackInflight } from './sw-inflight.ts';

const persist = mkdtempSync(join(tmpdir(), 'product-'));
// The production page, built into a folder of this file's own (see builds.ts).
const site = mkdtempSync(join(tmpdir(), 'product-site-'));
const older = mkdtempSync(join(tmpdir(), 'older-model-'));
const OLDER = '20261101T120000Z-0badcafe';
let worker: LocalWorker;
let port: number;
let browser: Browser;
const consoleErrors: string[] = [];

const build = (pageBuild: string) => buildProductionPage({ pageBuild, outDir: site });
const serve = async () => {
  worker = await startLocalWorker({ persistDir: persist, port, assets: site });
  port = Number(new URL(worker.url).port);
};
/** `work`, or an error naming `what` if it takes longer than `ms`: a hang in CI says where it was. */
async function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
/** The new deploy's service worker takes over within this (Chromium's own limit would be 5 min). */
const SWAP_WITHIN_MS = 30_000;
/** The page's registration: which workers are installing, waiting, active, in control. */
const registrationState = (page: Page) =>
  page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    const w = (s: ServiceWorker | null | undefined) => (s ? s.state : 'none');
    return `installing ${w(r?.installing)}, waiting ${w(r?.waiting)}, active ${w(r?.active)}, controller ${w(navigator.serviceWorker.controller)}`;
  });
const open = (context: BrowserContext, query = '') =>
  openPage(context, `${worker.url}/${query}`, consoleErrors);

beforeAll(async () => {
  build('test-a');
  // An older published version beside the shipped one: the same files, other facts.
  cpSync(MODEL, older, { recursive: true });
  const m = JSON.parse(readFileSync(join(older, 'manifest.json'), 'utf8'));
  m.version = OLDER;
  m.createdAt = '2026-11-01T12:00:00.000Z';
  m.metrics = { ...m.metrics, fid: 9.87, classAccuracy: 0.951 };
  m.training = { ...m.training, steps: 4000 };
  writeFileSync(join(older, 'manifest.json'), JSON.stringify(m, null, 2));
  const store = await openLocalStore(persist);
  await publishModel(store, older, { promote: false });
  await publishModel(store, MODEL, { promote: true });
  await store.close();
  port = 0;
  await serve();
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
  rmSync(older, { recursive: true, force: true });
  rmSync(site, { recursive: true, force: true });
});

describe('the page as a product', () => {
  it('answers key presses within 100 ms while the engine draws a 64-digit walk', async () => {
    const context = await browser.newContext();
    const page = await open(context, '?backend=wasm&n=64');
    await waitReady(page);
    await page.evaluate(() => {
      const probe = { keys: [] as number[], longTasks: [] as number[], walking: false };
      (window as unknown as { probe: typeof probe }).probe = probe;
      const walk = document.getElementById('walk') as HTMLButtonElement;
      // How long a real key press waited for the page's thread, while a walk was running.
      document.getElementById('seed')?.addEventListener('keydown', (e) => {
        if (walk.getAttribute('aria-pressed') === 'true') probe.keys.push(performance.now() - e.timeStamp);
      });
      new PerformanceObserver((list) => {
        if (walk.getAttribute('aria-pressed') === 'true')
          for (const t of list.getEntries()) probe.longTasks.push(t.duration);
      }).observe({ type: 'longtask' });
    });
    await page.click('#walk');
    await page.focus('#seed');
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Shift');
      await page.waitForTimeout(40);
    }
    await page.waitForFunction(
      () => document.getElementById('walk')?.getAttribute('aria-pressed') === 'false',
      null,
      {
        timeout: 120_000,
      },
    );
    const probe = await page.evaluate(
      () => (window as unknown as { probe: { keys: number[]; longTasks: number[] } }).probe,
    );
    console.log(
      `key presses during the walk: ${probe.keys.length}, longest wait ${Math.max(...probe.keys).toFixed(1)} ms; ` +
        `main-thread tasks over 50 ms: ${probe.longTasks.length} (${probe.longTasks.map((d) => d.toFixed(0)).join(', ')})`,
    );
    expect(probe.keys.length).toBeGreaterThanOrEqual(10); // the presses did land while it walked
    expect(Math.max(...probe.keys)).toBeLessThanOrEqual(100);
    // Drawing on the page's thread would make every frame a long task (61 of them).
    expect(probe.longTasks.length).toBeLessThanOrEqual(3);
    // The walk ended on the next seed and says so in the URL (once that seed's grid is drawn, after
    // the walk's button is released: reading the URL at once raced with that draw under load).
    await page.waitForFunction(() => new URL(location.href).searchParams.get('seed') === '2', null, {
      timeout: 30_000,
    });
    await waitReady(page);
    await context.close();
  });

  it('a weight download that stalls is given up on and tried once more', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const shardRequests: string[] = [];
    // The first request for the shard never answers, as a hung connection would; the second goes through.
    await page.route('**/v1/models/*/*.bin', async (route) => {
      shardRequests.push(route.request().url());
      if (shardRequests.length > 1) await route.continue();
    });
    const started = Date.now();
    await page.goto(`${worker.url}/?backend=wasm&n=16`);
    await waitReady(page);
    console.log(`stalled shard: drawn ${((Date.now() - started) / 1000).toFixed(1)} s after navigation`);
    expect(shardRequests).toHaveLength(2);
    expect(shardRequests[0]).toBe(shardRequests[1]);
    await context.close();
  });

  it("the style grid writes each row's style as every digit, its badly read rows redrawn, as Node draws it", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    // Seed 9's last row is the broken hand the style-row filter is for (docs/training.md).
    const page = await open(context, '?view=styles&rows=10&seed=9&backend=wasm');
    await waitReady(page);
    expect(await page.locator('#grid').getAttribute('data-view')).toBe('styles');
    expect(await page.locator('#col-labels').isVisible()).toBe(true);
    expect(await page.locator('#count').isVisible()).toBe(false); // the grid view's controls are hidden
    expect(await page.locator('#rows').inputValue()).toBe('10');
    const drawn = await drawnDigits(page, 10);
    const grid = await nodeStyleGrid(9, 10);
    expect(grid.redrawn).toEqual([9]);
    expect(await page.locator('#grid').getAttribute('data-redrawn')).toBe('9');
    expect(await page.locator('#timing').textContent()).toContain("Style 10 redrawn: the page's filter");
    const node = await nodeDigits(grid.latents, 100);
    const diff = compare(drawn, node);
    console.log(`style grid vs Node cpu: max ${diff.max}, mean ${diff.mean.toFixed(3)} gray levels`);
    expect(diff.max).toBeLessThanOrEqual(8);
    expect(diff.mean).toBeLessThan(0.5);
    // Rows 1–9 are the seed's own noise; row 10 is not the generator's broken hand.
    const raw = await nodeDigits(styleLatents(9, 10, shipped.latentDim, shipped.classes), 100);
    const row10 = 90 * 28 * 28;
    expect(compare(drawn.subarray(0, row10), raw.subarray(0, row10)).max).toBeLessThanOrEqual(8);
    expect(compare(drawn.subarray(row10), raw.subarray(row10)).mean).toBeGreaterThan(20);
    // Column c is the digit c, whatever the row's style.
    const classifier = await loadShippedClassifier();
    const { probs } = classify(
      classifier,
      Float32Array.from(drawn, (g) => 1 - (g / 255) * 2),
    );
    const agree = Array.from({ length: 100 }, (_, i) => argmax10(probs, i) === i % 10).filter(Boolean).length;
    classifier.dispose();
    console.log(`style grid: the classifier reads the column's digit in ${agree}/100`);
    expect(agree).toBeGreaterThanOrEqual(90);
    await page.click('#about summary');
    const about = await page.locator('#model-info').textContent();
    expect(about).toContain('filtered on this page');
    // The download a visitor makes: model.json and the shard, not the documentation images.
    const runtimeBytes = runtimeFiles(shipped).reduce((sum, f) => sum + f.bytes, 0);
    expect(runtimeBytes).toBeLessThan(shipped.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(about).toContain(`${shipped.quantization}, ${(runtimeBytes / 1024).toFixed(0)} KB download`);
    await page.screenshot({ path: join(ARTIFACTS, 'styles-phone.png'), fullPage: true });
    await context.close();
  });

  it('the URL holds what is on screen: Back and Forward redraw it, a copied link draws the same pixels', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: worker.url });
    const page = await open(context, '?backend=wasm');
    await waitReady(page);
    expect(new URL(page.url()).search).toBe('?view=grid&n=64&digit=any&seed=1&backend=wasm');
    const redrawn = async (action: () => Promise<unknown>) => {
      const before = Number(await page.locator('#grid').getAttribute('data-drawn'));
      await action();
      await page.waitForFunction(
        (b) =>
          Number(document.getElementById('grid')?.dataset.drawn) > b && !!document.getElementById('status'),
        before,
      );
      await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'ready');
    };
    await redrawn(() => page.selectOption('#digit', '3'));
    await page.fill('#seed', '77');
    await redrawn(() => page.press('#seed', 'Enter'));
    expect(new URL(page.url()).search).toBe('?view=grid&n=64&digit=3&seed=77&backend=wasm');
    const grid77 = await canvasGrays(page);
    await redrawn(() => page.click('text=Style grid'));
    expect(new URL(page.url()).search).toBe('?view=styles&rows=6&seed=77&backend=wasm');
    expect(await page.locator('#grid').getAttribute('width')).toBe(String(280));

    await redrawn(() => page.goBack());
    expect(new URL(page.url()).search).toBe('?view=grid&n=64&digit=3&seed=77&backend=wasm');
    expect(await page.locator('#digit').inputValue()).toBe('3');
    expect(await page.locator('#grid').getAttribute('data-view')).toBe('grid');
    expect(await canvasGrays(page)).toEqual(grid77);
    await redrawn(() => page.goBack());
    expect(await page.locator('#seed').inputValue()).toBe('1');
    expect(await page.locator('#digit').inputValue()).toBe('3');
    await redrawn(() => page.goForward());
    await redrawn(() => page.goForward());
    expect(await page.locator('#grid').getAttribute('data-view')).toBe('styles');
    const styles = await canvasGrays(page);

    await page.click('#copy-link');
    await page.waitForFunction(() => document.getElementById('copy-result')?.textContent === 'Link copied.');
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(`${worker.url}/?view=styles&rows=6&seed=77&version=${shipped.version}&backend=wasm`);
    const other = await browser.newContext();
    const shared = await openPage(other, link, consoleErrors);
    await waitReady(shared);
    expect(await canvasGrays(shared)).toEqual(styles); // the same backend draws the very same pixels
    await other.close();
    await context.close();
  });

  it('the history panel lists the published versions with their scores, samples and a link that runs each', async () => {
    for (const [name, viewport] of [
      ['phone', { width: 390, height: 844 }],
      ['desktop', { width: 1280, height: 900 }],
    ] as const) {
      const context = await browser.newContext({ viewport });
      const page = await open(context, '?backend=wasm');
      await waitReady(page);
      await page.waitForFunction(() => document.getElementById('history')?.dataset.versions === '2');
      const items = page.locator('#history .version');
      expect(await items.count()).toBe(2);
      const first = (await items.nth(0).textContent()) ?? '';
      expect(first).toContain(shipped.version);
      expect(first).toContain('promoted, running here');
      expect(first).toContain(`FID ${shipped.metrics.fid.toFixed(2)}`);
      const second = (await items.nth(1).textContent()) ?? '';
      expect(second).toContain(OLDER);
      expect(second).toContain('4,000 steps on');
      // Not promoted: its FID beside the promoted one's.
      expect(second).toContain('not promoted');
      expect(second).toContain(
        `FID 9.87 (floor ${shipped.metrics.fidFloor.toFixed(2)}; promoted: ${shipped.metrics.fid.toFixed(2)})`,
      );
      expect(second).toContain('class accuracy 0.951');
      // Each sample grid really loaded (a broken image has no natural width).
      await page.waitForFunction(() =>
        Array.from(document.querySelectorAll<HTMLImageElement>('#history img')).every(
          (i) => i.complete && i.naturalWidth > 0,
        ),
      );
      expect(await page.locator('#history svg.chart').count()).toBe(2);
      expect(await page.locator('#history svg.chart').first().locator('circle').count()).toBe(2);
      expect(await page.locator('#history .chart-title').first().textContent()).toBe(
        `FID, 2 versions: latest ${shipped.metrics.fid.toFixed(2)} (lower is better)`,
      );
      await page.locator('#history').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, `history-${name}.png`), fullPage: true });
      if (name === 'desktop') {
        await page.click(`#history .version:nth-child(2) a`);
        await waitReady(page);
        expect(new URL(page.url()).searchParams.get('version')).toBe(OLDER);
        expect(await page.locator('#model-info').textContent()).toContain(OLDER);
        await page.waitForFunction(() => document.getElementById('history')?.dataset.versions === '2');
        expect(await page.locator('#history .version').nth(1).textContent()).toContain('running here');
      }
      await context.close();
    }
  });

  it('is installable, opens and draws offline after one visit, and a new deploy replaces its files', async () => {
    let phase = 'first visit';
    try {
      const context = await browser.newContext();
      const offlineErrors: string[] = []; // refused connections are logged as errors on purpose here
      const page = await openPage(context, `${worker.url}/?backend=wasm&n=16`, offlineErrors);
      await waitReady(page);
      expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe('test-a');
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, {
        timeout: 60_000,
      });
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: { errorId: string }[];
      };
      // Playwright's contexts are incognito-like, which alone rules out installing; nothing else may.
      expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);
      const precached = () =>
        page.evaluate(async () => {
          const urls: string[] = [];
          for (const name of await caches.keys())
            if (name.includes('precache'))
              for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
          return urls;
        });
      const scriptA = await page.evaluate(
        () => new URL((document.querySelector('script[type=module]') as HTMLScriptElement).src).pathname,
      );
      expect(await precached()).toContain(scriptA);
      await trackInflight(context); // what the old worker has under way, should the swap wait

      // The network goes away: the server is stopped.
      phase = 'offline, old deploy';
      await within('stopping the server', 30_000, worker.stop());
      await page.reload();
      await waitReady(page);
      expect(await page.locator('#status').textContent()).toContain(
        `Showing the last good model (${shipped.version}) from the cache.`,
      );
      expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe('test-a');
      expect(Number(await page.locator('#grid').getAttribute('data-n'))).toBe(16);
      // A second tab of the old deploy stays open through the new deploy.
      const stale = await openPage(context, `${worker.url}/?backend=wasm&n=1`, offlineErrors);
      await waitReady(stale);

      // A new deploy: other page files, on the same origin.
      phase = 'online, new deploy';
      build('test-b');
      await within('starting the server again', 60_000, serve());
      await page.reload();
      await waitReady(page);
      expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe('test-b'); // no stale page
      const scriptB = await page.evaluate(
        () => new URL((document.querySelector('script[type=module]') as HTMLScriptElement).src).pathname,
      );
      expect(scriptB).not.toBe(scriptA);
      // The new service worker takes over and keeps only the new files, within seconds: Chromium
      // activates it (it calls skipWaiting() when the page asks) once the old worker has nothing
      // under way. Should the old worker stay busy, Chromium would wait up to 5 minutes; the test
      // does not, and says what the old worker still had under way.
      phase = 'new service worker';
      const swapStarted = Date.now();
      let urls = await precached();
      while (
        !(urls.includes(scriptB) && !urls.includes(scriptA)) &&
        Date.now() - swapStarted < SWAP_WITHIN_MS
      ) {
        await page.waitForTimeout(250);
        urls = await precached();
      }
      console.log(
        `the new service worker took over after ${((Date.now() - swapStarted) / 1000).toFixed(1)} s`,
      );
      const swapped = urls.includes(scriptB) && !urls.includes(scriptA);
      const why = swapped
        ? ''
        : `${await registrationState(page)}; under way:\n${await inflightReport(context)}`;
      expect(urls, why).toContain(scriptB);
      expect(urls, why).not.toContain(scriptA);
      // The old tab's files are gone from the cache: it offers a reload; the new page does not.
      await stale.locator('#update').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.locator('#update').isHidden()).toBe(true);
      await stale.click('#reload');
      await waitReady(stale);
      expect(await stale.evaluate(() => document.documentElement.dataset.build)).toBe('test-b');
      await stale.close();

      // And offline again, it is the new page that opens.
      phase = 'offline, new deploy';
      await within('stopping the server', 30_000, worker.stop());
      await page.reload();
      await waitReady(page);
      expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe('test-b');
      await within('starting the server again', 60_000, serve());
      await context.close();
    } catch (e) {
      // Name the phase: one test walks through four page loads and two server restarts.
      (e as Error).message = `[${phase}] ${(e as Error).message}`;
      throw e;
    }
  }, 360_000); // four page loads (60 s each at most), two server restarts and the precache swap (30 s)

  it('no console errors on any page above (the offline ones aside)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
