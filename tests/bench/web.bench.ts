// npm run bench:web: the page's test build (web/dist-test: the production page plus the debug
// interface of web/src/debug.ts, loaded after the first digits) in headless Chromium against the
// local worker, for each backend × preset (× WASM thread count, with --threads):
// - navigation: the first drawn grid after a cold navigation (a fresh browser context: empty
//   caches) and after a reload once the service worker controls the page (a repeat visit), each the
//   median of --runs fresh contexts with their min and max; bytes by kind; the server's share;
// - the cold path's waterfall (the run with the median cold time), and the reload's: every request
//   of the page and its engine and every step, with what each step waited on (cold-path.ts);
// - generation per batch: backend init, first call, warm median; the generator's FLOPs per digit
//   and the GFLOP/s achieved, beside a plain matmul's GFLOP/s on the same backend in the same run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Page } from 'playwright-core';
import { type Manifest, manifestSchema, PRESET_NAMES, type PresetName } from '../../contract/index.ts';
import { command, integer, listOf, parseOrExit } from '../../lib/command.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import {
  BACKENDS as PAGE_BACKENDS,
  type BackendChoice as PageBackend,
  THREADS,
} from '../../web/src/url-state.ts';
import { buildTestPage, TEST_BUILD } from '../browser/builds.ts';
import { launchChromium } from '../browser/chromium.ts';
import { waitForDebugHooks } from '../browser/debug-hooks.ts';
import { isWeightFile } from '../browser/weight-files.ts';
import { coldPath, formatWaterfall, type Timeline, waterfall } from './cold-path.ts';
import { type Row, table } from './table.ts';

// npm run bench:web [-- --backends auto,wasm,wasm-simd] [--presets fast] [--runs 5] [--threads 1,2]
/** `auto`: no ?backend=, as a visitor comes: the page probes for WebGPU and chooses. */
const BENCH_BACKENDS = ['auto', ...PAGE_BACKENDS] as const;
const program = command(
  'npm run bench:web --',
  'Time page loads (cold and reload, median of fresh contexts) and generation in headless Chromium, per backend × preset.',
)
  .addOption(
    listOf(
      '--backends <list>',
      "page backends (auto: none asked for, the page's own choice)",
      BENCH_BACKENDS,
    ),
  )
  .addOption(listOf('--presets <list>', 'presets', PRESET_NAMES))
  .option('--runs <n>', 'fresh browser contexts per configuration', integer('--runs', 1, 50), 5)
  .addOption(
    listOf(
      '--threads <list>',
      "WASM thread counts to compare (?threads=); each is a configuration of its own (default: the page's choice)",
      THREADS.map(String),
    ).default(undefined),
  );
const opts = parseOrExit<{
  backends: (PageBackend | 'auto')[];
  presets: PresetName[];
  runs: number;
  threads?: string[];
}>(program);
const BATCHES = [1, 16, 64];
const WORK = '.tmp/bench-web';

/** An exported model per preset: the shipped fast-cond, and briefly trained ones for the others
 * (speed depends on the architecture, not on how well it was trained). */
function exportFor(preset: string): string {
  if (preset === 'fast-cond') return 'model/shipped';
  const run = join(WORK, preset);
  if (!existsSync(join(run, 'export', 'manifest.json'))) {
    process.stderr.write(`training a 2-step ${preset} model to have its weights …\n`);
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/train.ts',
        '--preset',
        preset,
        '--steps',
        '2',
        '--batch-size',
        '16',
        '--out',
        run,
        '--eval-samples',
        '100',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return join(run, 'export');
}

/** Multiply-adds ×2 of one digit, from the layers' shapes. */
function flopsPerDigit(model: LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const cfg = layer.getConfig() as { units?: number; kernelSize?: number[]; filters?: number };
    const out = layer.outputShape as number[];
    const input = layer.input;
    const inp = (Array.isArray(input) ? input[0] : input).shape;
    const cls = layer.getClassName();
    if (cls === 'Dense') flops += 2 * (inp[inp.length - 1] as number) * (cfg.units as number);
    if (cls === 'Conv2D') {
      const [kh, kw] = cfg.kernelSize as number[];
      flops +=
        2 * kh * kw * (inp[3] as number) * (out[3] as number) * (out[1] as number) * (out[2] as number);
    }
    if (cls === 'Conv2DTranspose') {
      const [kh, kw] = cfg.kernelSize as number[];
      flops +=
        2 * kh * kw * (inp[3] as number) * (out[3] as number) * (inp[1] as number) * (inp[2] as number);
    }
  }
  return flops;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** "median (min–max)" */
const spread = (xs: number[]) =>
  `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

type Bytes = { js: number; wasm: number; weights: number; other: number };

/** Counts the bytes of every response the page and its workers receive, by kind. */
function countBytes(page: Page): Bytes {
  const bytes: Bytes = { js: 0, wasm: 0, weights: 0, other: 0 };
  page.on('requestfinished', async (req) => {
    const size = (await req.sizes()).responseBodySize;
    const url = req.url();
    if (/\/assets\/debug-[^/]+\.js$/.test(url)) return; // the test build's own, not the page's
    const kind = isWeightFile(url)
      ? 'weights'
      : url.endsWith('.js')
        ? 'js'
        : url.endsWith('.wasm')
          ? 'wasm'
          : 'other';
    bytes[kind] += size;
  });
  return bytes;
}

/** Waits for the first drawn grid; its time since navigation start (the page's own stamp). */
async function firstGrid(page: Page, what: string): Promise<number> {
  await page.waitForFunction(
    () =>
      !!document.getElementById('grid')?.dataset.drawn ||
      ['error', 'integrity', 'no-model', 'offline'].includes(
        document.getElementById('status')?.dataset.state ?? '',
      ),
    null,
    { timeout: 600_000 },
  );
  const state = await page.locator('#status').getAttribute('data-state');
  if (state !== 'ready') throw new Error(`${what}: ${await page.locator('#status').textContent()}`);
  return Number(await page.locator('#grid').getAttribute('data-first-draw-ms'));
}

// The test build: the production page plus the debug interface (window.__gan) timed below.
buildTestPage();
await tf.setBackend('cpu');
const models: { preset: string; manifest: Manifest; flops: number; bytes: number }[] = [];
const persist = mkdtempSync(join(tmpdir(), 'bench-web-'));
const store = await openLocalStore(persist);
for (const preset of opts.presets) {
  const dir = exportFor(preset);
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  await publishModel(store, dir, { promote: true, force: true });
  const model = await loadLayersModelFromDir(dir);
  models.push({
    preset,
    manifest,
    flops: flopsPerDigit(model),
    bytes: manifest.files.reduce((s, f) => s + f.bytes, 0),
  });
  model.dispose();
}
await store.close();
const worker = await startLocalWorker({ persistDir: persist, assets: TEST_BUILD });
const browser = await launchChromium();
const chromium = browser.version();
const loadBefore = loadavg();
const started = new Date();

// Each configuration: a backend, a preset, and for WASM a thread count when asked to compare.
const configs = opts.backends.flatMap((backend) =>
  models.flatMap((m) =>
    (backend === 'wasm' && opts.threads ? opts.threads : [null]).map((threads) => ({ backend, m, threads })),
  ),
);

const rows: Row[] = [];
const loads: Row[] = [];
const waterfalls: string[] = [];
const profiles: string[] = [];
try {
  for (const { backend, m, threads } of configs) {
    const name = `${backend}${threads ? ` ×${threads}` : ''} / ${m.preset}`;
    const query = [
      backend === 'auto' ? '' : `backend=${backend}`,
      `version=${m.manifest.version}`,
      threads ? `threads=${threads}` : '',
    ].filter(Boolean);
    const url = `${worker.url}/?${query.join('&')}`;
    const cold: number[] = [];
    const reload: number[] = [];
    const runs: { cold: number; timeline: Timeline; bytes: Bytes; split: ReturnType<typeof coldPath> }[] = [];
    const reloads: { ms: number; timeline: Timeline }[] = [];
    let warmWeights = 0;
    for (let run = 1; run <= opts.runs; run++) {
      process.stderr.write(`${name}: run ${run}/${opts.runs} …\n`);
      const context = await browser.newContext();
      const page = await context.newPage();
      const bytes = countBytes(page);
      await page.goto(url);
      const coldMs = await firstGrid(page, name);
      await waitForDebugHooks(page);
      const timeline = await page.evaluate(() => window.__gan!.timeline());
      runs.push({
        cold: coldMs,
        timeline,
        bytes: { ...bytes },
        split: coldPath(timeline.navigationStart, coldMs, timeline.requests),
      });
      cold.push(coldMs);
      // A repeat visit finds the service worker in charge (it installs after the first grid).
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, {
        timeout: 120_000,
      });
      for (const k of Object.keys(bytes) as (keyof Bytes)[]) bytes[k] = 0;
      await page.reload();
      const reloadMs = await firstGrid(page, `${name} (reload)`);
      reload.push(reloadMs);
      await waitForDebugHooks(page);
      reloads.push({ ms: reloadMs, timeline: await page.evaluate(() => window.__gan!.timeline()) });
      warmWeights = Math.max(warmWeights, bytes.weights);
      if (run === opts.runs) await timeGeneration(page, m);
      await context.close();
    }
    const mid = [...runs].sort((a, b) => a.cold - b.cold)[runs.length >> 1];
    loads.push({
      backend: name,
      runs: opts.runs,
      'cold ms': spread(cold),
      'reload ms': spread(reload),
      'cold server wait ms': spread(runs.map((r) => r.split.serverWaitMs)),
      'requests before grid': mid.split.requestsBefore,
      'first script KB': (mid.split.firstScriptBytes / 1024).toFixed(1),
      ...Object.fromEntries(
        Object.entries(mid.bytes).map(([k, v]) => [`cold ${k} KB`, (v / 1024).toFixed(0)]),
      ),
      'reload weights B': warmWeights,
    });
    const midReload = [...reloads].sort((a, b) => a.ms - b.ms)[reloads.length >> 1];
    waterfalls.push(
      `${name}: the cold run with the median time (${mid.cold.toFixed(0)} ms); ms since navigation start\n` +
        `start   end  thread what  ← waited on (ready at)\n${formatWaterfall(waterfall(mid.timeline))}`,
      `${name}: the reload with the median time (${midReload.ms.toFixed(0)} ms; requests the service ` +
        `worker answered from its caches show 0 KB)\n` +
        `start   end  thread what  ← waited on (ready at)\n${formatWaterfall(waterfall(midReload.timeline))}`,
    );
  }
} finally {
  await browser.close();
  await worker.stop();
  rmSync(persist, { recursive: true, force: true });
}

async function timeGeneration(page: Page, m: (typeof models)[number]): Promise<void> {
  await waitForDebugHooks(page);
  const runtime = await page.evaluate(() => window.__gan!.runtime);
  const slow = runtime.kind === 'cpu' || (runtime.kind === 'webgpu' && m.preset === 'tutorial');
  const matmul = await page.evaluate(() => window.__gan!.matmulGflops(256, 5));
  for (const n of BATCHES) {
    const t = await page.evaluate(([n, reps]) => window.__gan!.time(n, reps), [n, slow ? 3 : 20] as const);
    rows.push({
      backend: runtime.label,
      preset: m.preset,
      batch: n,
      'init ms': runtime.initMs.toFixed(0),
      'first ms': t.firstMs.toFixed(1),
      'warm ms': t.warmMedianMs.toFixed(1),
      'MFLOP/digit': (m.flops / 1e6).toFixed(1),
      'GFLOP/s': ((m.flops * n) / (t.warmMedianMs / 1000) / 1e9).toFixed(2),
      'matmul GFLOP/s': matmul.toFixed(2),
    });
  }
  if (slow) return;
  // Where the warm 64 digits go: each kernel's own time (the rest is tfjs's bookkeeping and readback).
  const kernels = await page.evaluate(() => window.__gan!.kernels(64, 15));
  const total = kernels.reduce((s, k) => s + k.ms, 0);
  profiles.push(
    `${runtime.label} / ${m.preset}: 64 digits warm, kernel by kernel (median of 15 calls; ` +
      `${total.toFixed(1)} ms in kernels)\n` +
      table(
        kernels.map((k) => ({
          kernel: k.kernel,
          input: k.input,
          output: k.output,
          ms: k.ms.toFixed(2),
          share: `${((100 * k.ms) / total).toFixed(0)} %`,
        })),
      ),
  );
}

const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
console.log(
  `\nheadless Chromium ${chromium}, ${started.toISOString()}; load average (1 / 5 / 15 min) before ` +
    `${load(loadBefore)}, after ${load(loadavg())} on ${availableParallelism()} cores; weights: ` +
    models
      .map((m) => `${m.preset} ${m.bytes.toLocaleString('en-US')} B (${m.manifest.quantization})`)
      .join(', '),
);
console.log(`\ngeneration (the page's last run; warm = median of repeated calls)\n${table(rows)}`);
console.log(
  `\nnavigation to the first drawn grid, ms since navigation start: median (min–max) of ${opts.runs} fresh ` +
    `contexts each; cold = empty caches, reload = once the service worker controls the page; server wait = ` +
    `time some request before the first grid waited for its first byte\n${table(loads)}`,
);
for (const p of profiles) console.log(`\n${p}`);
for (const w of waterfalls) console.log(`\n${w}`);
