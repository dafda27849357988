// The page: find the promoted model, download and verify it (or take it from the cache), start the
// best runtime this device has, and draw digits on request.
import { latents, type Manifest } from '../../contract/index.ts';
import { readConfig } from './config.ts';
import { type Generator, loadGenerator } from './generator.ts';
import { downloadPng, drawGrid } from './grid.ts';
import { slerp } from './latent.ts';
import { fetchManifest, NoModelError, OfflineError, parseManifest } from './manifest.ts';
import { IntegrityError, lastGood, loadFiles, rememberGood } from './model-files.ts';
import { showModelInfo } from './model-info.ts';
import { prefetchRuntime, type Runtime, startRuntime, type Tf } from './runtime.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const progress = $<HTMLProgressElement>('progress');
const canvas = $<HTMLCanvasElement>('grid');
const timing = $<HTMLElement>('timing');
const form = $<HTMLFormElement>('controls');
const count = $<HTMLSelectElement>('count');
const digit = $<HTMLSelectElement>('digit');
const seed = $<HTMLInputElement>('seed');
const buttons = ['generate', 'random', 'walk', 'download'].map((id) => $<HTMLButtonElement>(id));
const [, randomBtn, walkBtn, downloadBtn] = buttons;

type State = 'loading' | 'downloading' | 'ready' | 'no-model' | 'offline' | 'integrity' | 'error';
const notes: string[] = [];
function setStatus(state: State, text: string): void {
  status.dataset.state = state;
  status.textContent = [text, ...notes].join(' ');
}
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

let tf: Tf;
let runtime: Runtime;
let generator: Generator;
let busy = false;
let walking = false;
let again = false; // a request that came in while generating: run once more with the latest controls

function request(): { n: number; seed: number; digit: number | 'any' } {
  const s = Number(seed.value);
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff)
    throw new Error('The seed must be a whole number from 0 to 4294967295.');
  return { n: Number(count.value), seed: s, digit: digit.value === 'any' ? 'any' : Number(digit.value) };
}

async function generate(): Promise<void> {
  if (busy || walking) {
    again = !walking;
    return;
  }
  busy = true;
  try {
    const r = request();
    const m = generator.manifest;
    const l = latents(r.seed, r.n, m.latentDim, m.classes, r.digit);
    const { pixels, ms } = await generator.generate(l, r.n);
    drawGrid(canvas, pixels, r.n);
    canvas.dataset.firstDrawMs ??= performance.now().toFixed(1); // since navigation started
    Object.assign(canvas.dataset, { seed: String(r.seed), digit: String(r.digit), n: String(r.n) });
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
    timing.textContent = `${r.n} digit${r.n === 1 ? '' : 's'} in ${ms.toFixed(1)} ms on ${runtime.label}.`;
    setStatus('ready', 'Ready.');
  } catch (e) {
    setStatus('error', `Generation failed: ${message(e)}`);
  } finally {
    busy = false;
    if (again) {
      again = false;
      void generate();
    }
  }
}

async function walk(): Promise<void> {
  if (walking) {
    walking = false;
    return;
  }
  const r = request();
  const m = generator.manifest;
  const from = latents(r.seed, r.n, m.latentDim, m.classes, r.digit);
  const to = latents(r.seed + 1, r.n, m.latentDim, m.classes, r.digit);
  walking = true;
  walkBtn.setAttribute('aria-pressed', 'true');
  walkBtn.textContent = 'Stop the walk';
  const frames = 60;
  try {
    for (let f = 0; f <= frames && walking; f++) {
      const z = slerp(from.z, to.z, m.latentDim, f / frames);
      const { pixels, ms } = await generator.generate({ z, labels: from.labels }, r.n);
      drawGrid(canvas, pixels, r.n);
      timing.textContent = `Walking from seed ${r.seed} to ${r.seed + 1}: frame ${f}/${frames}, ${ms.toFixed(1)} ms on ${runtime.label}.`;
      await new Promise((res) => requestAnimationFrame(res));
    }
    if (walking) seed.value = String(r.seed + 1);
  } catch (e) {
    setStatus('error', `Generation failed: ${message(e)}`);
  } finally {
    walking = false;
    walkBtn.setAttribute('aria-pressed', 'false');
    walkBtn.textContent = 'Walk to seed + 1';
  }
}

/** The manifest and verified files to run: the promoted model, or the last good one as a fallback. */
async function obtainModel(
  apiBase: string,
  version: string | null,
): Promise<{ manifest: Manifest; files: Map<string, Uint8Array> } | null> {
  const good = parseManifest(lastGood());
  const fromCache = async (why: State, text: string) => {
    if (good) {
      try {
        const files = await loadFiles(apiBase, good, () => {}, { cachedOnly: true });
        notes.push(`${text} Showing the last good model (${good.version}) from the cache.`);
        return { manifest: good, files };
      } catch {
        // nothing usable cached
      }
    }
    setStatus(why, text);
    return null;
  };
  let manifest: Manifest;
  try {
    manifest = await fetchManifest(apiBase, version);
  } catch (e) {
    if (e instanceof NoModelError) {
      setStatus('no-model', 'No model has been published yet. Come back after the first training run.');
      return null;
    }
    if (e instanceof OfflineError) return fromCache('offline', 'You are offline and no model is cached yet.');
    throw e;
  }
  setStatus('downloading', `Downloading model ${manifest.version}…`);
  progress.hidden = false;
  try {
    const files = await loadFiles(apiBase, manifest, (p) => {
      progress.max = p.total;
      progress.value = p.loaded;
      const fetched = p.loaded - p.fromCache;
      setStatus(
        'downloading',
        `Downloading model ${manifest.version}: ${kb(fetched)} downloaded, ${kb(p.fromCache)} from the cache, of ${kb(p.total)}.`,
      );
    });
    return { manifest, files };
  } catch (e) {
    if (e instanceof IntegrityError) {
      return fromCache('integrity', `Integrity error: ${e.message} The model was not used.`);
    }
    if (e instanceof TypeError) return fromCache('offline', 'The download was interrupted (offline?).');
    throw e;
  } finally {
    progress.hidden = true;
  }
}

async function main(): Promise<void> {
  const config = readConfig(location.search, location.origin);
  // The runtime (tfjs and its backend, a few hundred KB and a WASM compile) starts while the
  // manifest and weights download: the two do not depend on each other.
  prefetchRuntime(config.backend);
  const runtimeReady = (async () => {
    const [core] = await Promise.all([import('@tensorflow/tfjs-core'), import('@tensorflow/tfjs-layers')]);
    tf = core;
    return startRuntime(tf, config.backend, (line) => notes.push(line));
  })();
  runtimeReady.catch(() => {}); // reported below, if the model arrives
  const model = await obtainModel(config.apiBase, config.version);
  if (!model) return;
  setStatus('loading', 'Starting the runtime…');
  runtime = await runtimeReady;
  document.body.dataset.backend = runtime.kind;
  generator = await loadGenerator(tf, model.manifest, model.files);
  rememberGood(model.manifest);
  showModelInfo($<HTMLElement>('model-info'), model.manifest);
  $<HTMLElement>('digit-label').hidden = model.manifest.classes === 0;
  for (const b of buttons) b.disabled = false;
  void runtime.lost.then(async (why) => {
    // WebGPU can lose its device (driver reset, GPU process crash): carry on with WASM.
    walking = false;
    notes.push(`The WebGPU device was lost (${why}); switched to WASM.`);
    runtime = await startRuntime(tf, 'wasm', (line) => notes.push(line));
    document.body.dataset.backend = runtime.kind;
    generator = await loadGenerator(tf, model.manifest, model.files);
    await generate();
  });
  await generate();
  exposeBenchHooks();
}

declare global {
  interface Window {
    /** For the benchmark (npm run bench:web): time the generator without the UI around it. */
    __gan?: {
      runtime: { label: string; kind: string; initMs: number };
      time(n: number, reps: number): Promise<{ firstMs: number; warmMedianMs: number }>;
      matmulGflops(size: number, reps: number): Promise<number>;
    };
  }
}

function exposeBenchHooks(): void {
  window.__gan = {
    runtime: { label: runtime.label, kind: runtime.kind, initMs: runtime.initMs },
    async time(n, reps) {
      const m = generator.manifest;
      const l = latents(7, n, m.latentDim, m.classes, 'any');
      const firstMs = (await generator.generate(l, n)).ms;
      const warm: number[] = [];
      for (let i = 0; i < reps; i++) warm.push((await generator.generate(l, n)).ms);
      warm.sort((a, b) => a - b);
      return { firstMs, warmMedianMs: warm[Math.floor(warm.length / 2)] };
    },
    async matmulGflops(size, reps) {
      const a = tf.randomNormal([size, size]);
      const b = tf.randomNormal([size, size]);
      await tf.matMul(a, b).data(); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const c = tf.matMul(a, b);
        await c.data();
        c.dispose();
      }
      const s = (performance.now() - t0) / 1000 / reps;
      a.dispose();
      b.dispose();
      return (2 * size ** 3) / s / 1e9;
    },
  };
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void generate();
});
for (const el of [count, digit]) el.addEventListener('change', () => void generate());
randomBtn.addEventListener('click', () => {
  seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
  void generate();
});
walkBtn.addEventListener('click', () => void walk());
downloadBtn.addEventListener('click', () => {
  const { seed: s = '0', digit: d = 'any' } = canvas.dataset;
  downloadPng(canvas, `mnist-gan-seed${s}-digit${d}.png`).catch((e: unknown) =>
    setStatus('error', message(e)),
  );
});

main().catch((e: unknown) => {
  setStatus('error', `Something went wrong: ${message(e)}`);
});
