// npm run bench:web: the page's test build (web/dist-test: the production page plus the debug
// interface of web/src/debug.ts, loaded after the first digits) in headless Chromium against the
// local worker, for each backend × preset × batch: backend init, first call, warm median; cold
// (empty cache) and warm navigation to the first drawn grid; bytes by kind; the generator's FLOPs
// per digit and the GFLOP/s achieved, beside a plain matmul's GFLOP/s on the same backend in the
// same run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type Manifest, manifestSchema, PRESET_NAMES, type PresetName } from '../../contract/index.ts';
import { command, listOf, parseOrExit } from '../../lib/command.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { BACKENDS as PAGE_BACKENDS, type BackendChoice as PageBackend } from '../../web/src/url-state.ts';
import { buildTestPage, TEST_BUILD, waitForDebugHooks } from '../browser/builds.ts';
import { launchChromium } from '../browser/chromium.ts';
import { isWeightFile } from '../browser/weight-files.ts';
import { coldPath } from './cold-path.ts';
import { type Row, table } from './table.ts';

// npm run bench:web [-- --backends wasm,wasm-simd] [--presets fast]: a subset, for quick reruns.
const program = command(
  'npm run bench:web --',
  'Time generation and page loads in headless Chromium, per backend × preset × batch.',
)
  .addOption(listOf('--backends <list>', 'page backends', PAGE_BACKENDS))
  .addOption(listOf('--presets <list>', 'presets', PRESET_NAMES));
const { backends: BACKENDS, presets: PRESETS } = parseOrExit<{
  backends: PageBackend[];
  presets: PresetName[];
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

// The test build: the production page plus the debug interface (window.__gan) timed below.
buildTestPage();
await tf.setBackend('cpu');
const models: { preset: string; manifest: Manifest; flops: number; bytes: number }[] = [];
const persist = mkdtempSync(join(tmpdir(), 'bench-web-'));
const store = await openLocalStore(persist);
for (const preset of PRESETS) {
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

const rows: Row[] = [];
const loads: Row[] = [];
try {
  for (const backend of BACKENDS) {
    for (const m of models) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const bytes = { js: 0, wasm: 0, weights: 0, other: 0 };
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
      const url = `${worker.url}/?backend=${backend}&version=${m.manifest.version}`;
      const ready = async () => {
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
        if (state !== 'ready')
          throw new Error(`${backend}/${m.preset}: ${await page.locator('#status').textContent()}`);
        return Number(await page.locator('#grid').getAttribute('data-first-draw-ms'));
      };
      process.stderr.write(`${backend} × ${m.preset} …\n`);
      await page.goto(url);
      const cold = await ready();
      await waitForDebugHooks(page);
      const timings = await page.evaluate(() => window.__gan!.requestTimings());
      const path = coldPath(timings.navigationStart, cold, timings.requests);
      const coldBytes = { ...bytes };
      for (const k of Object.keys(bytes) as (keyof typeof bytes)[]) bytes[k] = 0;
      await page.reload();
      const warm = await ready();
      loads.push({
        backend,
        preset: m.preset,
        coldMs: cold,
        'cold server wait ms': path.serverWaitMs.toFixed(0),
        'cold page ms': path.pageMs.toFixed(0),
        requests: path.requestsBefore,
        'first script KB': (path.firstScriptBytes / 1024).toFixed(1),
        warmMs: warm,
        ...Object.fromEntries(
          Object.entries(coldBytes).map(([k, v]) => [`cold ${k} KB`, (v / 1024).toFixed(0)]),
        ),
        'warm weights B': bytes.weights,
      });
      await waitForDebugHooks(page);
      const runtime = await page.evaluate(() => window.__gan!.runtime);
      const slow = backend === 'cpu' || (backend === 'webgpu' && m.preset === 'tutorial');
      const matmul = await page.evaluate(() => window.__gan!.matmulGflops(256, 5));
      for (const n of BATCHES) {
        const t = await page.evaluate(([n, reps]) => window.__gan!.time(n, reps), [
          n,
          slow ? 3 : 10,
        ] as const);
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
      await context.close();
    }
  }
} finally {
  await browser.close();
  await worker.stop();
  rmSync(persist, { recursive: true, force: true });
}

console.log(
  `\nheadless Chromium, ${new Date().toISOString()}; weights: ${models.map((m) => `${m.preset} ${m.bytes.toLocaleString('en-US')} B (${m.manifest.quantization})`).join(', ')}`,
);
console.log(`\ngeneration\n${table(rows)}`);
console.log(
  `\nnavigation to the first drawn grid (ms since navigation start; cold = empty cache; server wait = ` +
    `time some request before the first grid waited for its first byte, page = the rest)\n${table(loads)}`,
);
