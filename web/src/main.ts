// The page: reads what to show from the URL, hands the model work to the engine (a module worker)
// and draws what comes back. Its own script stays small: no tfjs, no schema library.
import * as Comlink from 'comlink';
import type { Manifest } from '../../contract/index.ts';
import { downloadPng } from './download.ts';
import type { Drawn, DrawSpec, EngineApi, EngineEvent, RuntimeInfo, Started } from './engine/api.ts';
import { hasFilesCache } from './engine/model-files.ts';
import { STEP, step } from './engine/steps.ts';
import { webgpuAdapter } from './engine/webgpu-probe.ts';
import { gridShape, SIZE } from './grid.ts';
import { lastGood, rememberGood } from './last-good.ts';
import { requestManifest } from './manifest-request.ts';
import { showModelInfo } from './model-info.ts';
import { type Mode, next, type PageEvent, showsLoading, walkGoesOn } from './page-mode.ts';
import { type PageState, parseSeed, readState, writeState } from './url-state.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const progress = $<HTMLProgressElement>('progress');
const canvas = $<HTMLCanvasElement>('grid');
const colLabels = $<HTMLElement>('col-labels');
const timing = $<HTMLElement>('timing');
const form = $<HTMLFormElement>('controls');
const count = $<HTMLSelectElement>('count');
const rows = $<HTMLSelectElement>('rows');
const digit = $<HTMLSelectElement>('digit');
const seed = $<HTMLInputElement>('seed');
const viewInputs = Array.from(document.querySelectorAll<HTMLInputElement>('input[name="view"]'));
const buttons = ['generate', 'random', 'walk', 'download', 'copy-link'].map((id) => $<HTMLButtonElement>(id));
const [, randomBtn, walkBtn, downloadBtn, copyBtn] = buttons;
const copied = $<HTMLElement>('copy-result');

type State = 'loading' | 'downloading' | 'ready' | 'no-model' | 'offline' | 'integrity' | 'error';
const notes: string[] = [];
let said = '';
function setStatus(state: State, text: string): void {
  said = text;
  status.dataset.state = state;
  status.textContent = [text, ...notes].join(' ');
}
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

declare const __PAGE_BUILD__: string;
declare const __DEBUG_HOOKS__: boolean;
document.documentElement.dataset.build = __PAGE_BUILD__;
$<HTMLElement>('build').textContent = __PAGE_BUILD__;

const initial = readState(location.search);
// First of all: the manifest's request (the engine, once started, reads the answer).
const manifestAnswer = requestManifest(initial.state.version);
// Whether this browser holds model files yet (a first visit's engine downloads them at once).
const filesCached = hasFilesCache();
// And the WebGPU adapter probe, unless a backend is asked for: it runs while the engine loads.
const webgpuVerdict = initial.state.backend ? null : step(STEP.webgpuProbe, webgpuAdapter);
notes.push(...initial.problems);
let manifest: Manifest;
let runtime: RuntimeInfo;
// What the page is doing (page-mode.ts): every event goes through `dispatch`, which moves it on and
// starts what the next mode needs.
let mode: Mode = { kind: 'starting' };
let firstDrawn: () => void = () => {};
/** Settles once the first grid is drawn (or its drawing failed). */
const firstGrid = new Promise<void>((done) => {
  firstDrawn = done;
});

function dispatch(engine: Comlink.Remote<EngineApi>, e: PageEvent): void {
  const step = next(mode, e);
  mode = step.mode;
  document.body.dataset.mode = mode.kind;
  if (step.effect?.do === 'draw') void generate(engine, step.effect.push);
  else if (step.effect?.do === 'walk') void walk(engine);
}

/** The controls as a page state (throws on a bad seed). */
function controls(): PageState {
  const view = viewInputs.find((i) => i.checked)?.value === 'styles' ? 'styles' : 'grid';
  return {
    ...initial.state,
    view,
    n: Number(count.value),
    rows: Number(rows.value),
    digit: digit.value === 'any' ? 'any' : Number(digit.value),
    seed: parseSeed(seed.value),
  };
}

function showControls(s: PageState): void {
  for (const i of viewInputs) i.checked = i.value === s.view;
  count.value = String(s.n);
  rows.value = String(s.rows);
  digit.value = String(s.digit);
  seed.value = String(s.seed);
  syncViewControls();
}

/** The style grid needs classes; each view shows only the controls that mean something for it. */
function syncViewControls(): void {
  const styles = viewInputs.find((i) => i.checked)?.value === 'styles';
  document.body.dataset.view = styles ? 'styles' : 'grid';
}

const spec = (s: PageState, walkTo?: DrawSpec['walkTo']): DrawSpec =>
  s.view === 'styles'
    ? { view: 'styles', rows: s.rows, seed: s.seed, walkTo }
    : { view: 'grid', n: s.n, seed: s.seed, digit: s.digit, walkTo };

async function draw(engine: Comlink.Remote<EngineApi>, d: DrawSpec): Promise<Drawn> {
  const out = await engine.draw(d);
  canvas.width = out.width;
  canvas.height = out.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.putImageData(new ImageData(out.rgba, out.width, out.height), 0, 0);
  colLabels.hidden = d.view !== 'styles';
  return out;
}

/** What the caption says of the style-row filter (contract/style-filter.ts) for a drawn grid. */
const filtered = (redrawn: number[] | undefined) =>
  redrawn?.length
    ? ` Style${redrawn.length === 1 ? '' : 's'} ${redrawn.map((r) => r + 1).join(', ')} redrawn: the page's filter read the first noise's digits badly.`
    : '';

/**
 * Draws what the controls say (the page is `drawing`); `push` records it in the history (Back
 * returns to the previous view).
 */
async function generate(engine: Comlink.Remote<EngineApi>, push: boolean): Promise<void> {
  try {
    const s = controls();
    const { ms, redrawn } = await draw(engine, spec(s));
    const n = s.view === 'styles' ? s.rows * manifest.classes : s.n;
    if (canvas.dataset.firstDrawMs === undefined) {
      canvas.dataset.firstDrawMs = performance.now().toFixed(1); // since navigation started
      performance.mark(STEP.firstGrid);
    }
    Object.assign(canvas.dataset, {
      seed: String(s.seed),
      digit: String(s.digit),
      n: String(n),
      view: s.view,
      redrawn: (redrawn ?? []).join(','),
    });
    canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
    canvas.setAttribute(
      'aria-label',
      s.view === 'styles'
        ? `Style grid: ${s.rows} handwriting style${s.rows === 1 ? '' : 's'}, each written as the digits 0 to 9, seed ${s.seed}`
        : `${n} generated digit${n === 1 ? '' : 's'} (${s.digit === 'any' ? 'any class' : `all ${s.digit}s`}), seed ${s.seed}`,
    );
    timing.textContent = `${n} digit${n === 1 ? '' : 's'} in ${ms.toFixed(1)} ms on ${runtime.label}.${filtered(redrawn)}`;
    const query = writeState(s);
    if (query !== location.search) history[push ? 'pushState' : 'replaceState'](null, '', query);
    setStatus('ready', 'Ready.');
  } catch (e) {
    setStatus('error', `Generation failed: ${message(e)}`);
  } finally {
    firstDrawn();
    dispatch(engine, { type: 'drawn' });
  }
}

/** The walk to the next seed, frame by frame, while the page is `walking` and not asked to stop. */
async function walk(engine: Comlink.Remote<EngineApi>): Promise<void> {
  let s: PageState;
  try {
    s = controls();
  } catch (e) {
    setStatus('error', message(e)); // a bad seed
    dispatch(engine, { type: 'walked', completed: false });
    return;
  }
  let completed = false;
  try {
    walkBtn.setAttribute('aria-pressed', 'true');
    walkBtn.textContent = 'Stop walking';
    const frames = 60;
    for (let f = 0; f <= frames && walkGoesOn(mode); f++) {
      const { ms } = await draw(engine, spec(s, { seed: s.seed + 1, t: f / frames }));
      timing.textContent = `Walking from seed ${s.seed} to ${s.seed + 1}: frame ${f}/${frames}, ${ms.toFixed(1)} ms on ${runtime.label}.`;
      await new Promise((res) => requestAnimationFrame(res));
    }
    completed = walkGoesOn(mode);
    if (completed) seed.value = String(s.seed + 1); // the walk's end: drawn as that seed's grid
  } catch (e) {
    setStatus('error', `Generation failed: ${message(e)}`);
  } finally {
    walkBtn.setAttribute('aria-pressed', 'false');
    walkBtn.textContent = 'Walk to seed + 1';
    dispatch(engine, { type: 'walked', completed });
  }
}

function onEvent(engine: Comlink.Remote<EngineApi>, e: EngineEvent): void {
  // Its events travel on their own message channel: a loading event can arrive once the engine has
  // started; it is stale then, and must not turn "Ready" back.
  if (
    !showsLoading(mode) &&
    (e.type === 'progress' || (e.type === 'status' && (e.state === 'loading' || e.state === 'downloading')))
  )
    return;
  if (e.type === 'status') setStatus(e.state, e.text);
  else if (e.type === 'progress') {
    progress.classList.toggle('done', e.loaded >= e.total);
    progress.max = e.total;
    progress.value = e.loaded;
  } else if (e.type === 'note') {
    notes.push(e.text);
    setStatus((status.dataset.state as State | undefined) ?? 'loading', said);
  } else {
    runtime = e.runtime;
    document.body.dataset.backend = runtime.kind;
    dispatch(engine, { type: 'redraw' });
  }
}

/** The canvas gets its final shape before the first digits arrive: nothing moves when they do. */
function reserveCanvas(s: PageState): void {
  const { cols, rows } = s.view === 'styles' ? { cols: 10, rows: s.rows } : gridShape(s.n);
  canvas.width = cols * SIZE;
  canvas.height = rows * SIZE;
  colLabels.hidden = s.view !== 'styles';
}

/** The engine in a new module worker, started: it has the model and a runtime (or said why not). */
async function startEngineOnce(): Promise<{ engine: Comlink.Remote<EngineApi>; started: Started | null }> {
  performance.mark(STEP.engineCreated);
  const worker = new Worker(new URL('./engine/worker.ts', import.meta.url), {
    type: 'module',
    name: 'engine',
  });
  const engine = Comlink.wrap<EngineApi>(worker);
  void manifestAnswer.then(async (a) => engine.manifestAnswered(a, !(await filesCached)));
  if (webgpuVerdict) void webgpuVerdict.then((v) => engine.webgpuProbed(v));
  // A worker whose script does not load never answers: its error event ends the wait.
  let running = false;
  const failed = new Promise<never>((_, reject) =>
    worker.addEventListener('error', (e) => {
      const text = e.message || 'its script did not load';
      if (running) setStatus('error', `The engine stopped: ${text}`);
      else reject(new Error(`The engine failed to start: ${text}`));
    }),
  );
  try {
    const started = await Promise.race([
      engine.start(
        {
          backend: initial.state.backend,
          threads: initial.state.threads,
          lastGood: lastGood(),
          webgpuOnPage: webgpuVerdict !== null,
        },
        Comlink.proxy((e: EngineEvent) => onEvent(engine, e)),
      ),
      failed,
    ]);
    running = true;
    return { engine, started };
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

/**
 * A start that fails (a script of the engine that did not arrive: the browser tests saw it when
 * another build replaced the folder they served) is tried once more in a fresh worker, whose module
 * map does not remember the failure.
 */
async function startEngine(): Promise<{ engine: Comlink.Remote<EngineApi>; started: Started | null }> {
  try {
    return await startEngineOnce();
  } catch (e) {
    console.warn(`The engine is started once more after: ${message(e)}`);
    document.body.dataset.engineRestarts = '1';
    return await startEngineOnce();
  }
}

async function main(): Promise<void> {
  showControls(initial.state);
  reserveCanvas(initial.state);
  const { engine, started } = await startEngine();
  progress.classList.add('done');
  if (!started) {
    dispatch(engine, { type: 'unavailable' });
    void import('./history.ts').then((h) => h.showHistory(engine, null));
    return;
  }
  ({ manifest, runtime } = started);
  document.body.dataset.backend = runtime.kind;
  rememberGood(manifest);
  showModelInfo($<HTMLElement>('model-info'), manifest);
  document.body.dataset.conditional = String(manifest.classes > 0);
  if (manifest.classes === 0) for (const i of viewInputs) i.checked = i.value === 'grid';
  syncViewControls();
  for (const b of buttons) b.disabled = false;
  wire(engine);
  dispatch(engine, { type: 'started' });
  await firstGrid;
  // The test build's debug interface (debug.ts), loaded after the first digits so a cold load
  // fetches what production fetches. The production build has the literal false here: no hooks.
  if (__DEBUG_HOOKS__) void import('./debug.ts').then((d) => d.installDebugHooks(engine, () => runtime));
  // After the first digits: what is not needed to see them.
  addIcons();
  void import('./history.ts').then((h) => h.showHistory(engine, manifest.version));
  void import('./offline.ts').then((o) => o.registerServiceWorker());
}

/** The page's icons (tab, home screen): not fetched while the first digits are on their way. */
function addIcons(): void {
  document.querySelector('link[rel="icon"]')?.remove();
  for (const rel of ['icon', 'apple-touch-icon']) {
    const link = Object.assign(document.createElement('link'), { rel, href: '/icons/icon-192.png' });
    if (rel === 'icon') link.type = 'image/png';
    document.head.append(link);
  }
}

function wire(engine: Comlink.Remote<EngineApi>): void {
  const drawControls = () => dispatch(engine, { type: 'draw', push: true });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    drawControls();
  });
  for (const el of [count, rows, digit, ...viewInputs]) {
    el.addEventListener('change', () => {
      syncViewControls();
      drawControls();
    });
  }
  randomBtn.addEventListener('click', () => {
    seed.value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    drawControls();
  });
  walkBtn.addEventListener('click', () => dispatch(engine, { type: 'walk' }));
  downloadBtn.addEventListener('click', () => {
    const { seed: s = '0', digit: d = 'any', view = 'grid' } = canvas.dataset;
    const name = view === 'styles' ? `mnist-gan-styles-seed${s}.png` : `mnist-gan-seed${s}-digit${d}.png`;
    downloadPng(canvas, name).catch((e: unknown) => setStatus('error', message(e)));
  });
  copyBtn.addEventListener('click', () => {
    // The shared link pins the running version: it draws the same pixels even after a newer
    // model is promoted. The address bar pins it only when the visitor chose a version.
    let link: string;
    try {
      link = `${location.origin}${location.pathname}${writeState({ ...controls(), version: manifest.version })}`;
    } catch (e) {
      setStatus('error', message(e));
      return;
    }
    copyBtn.dataset.link = link;
    navigator.clipboard.writeText(link).then(
      () => {
        copied.textContent = 'Link copied.';
      },
      () => {
        copied.textContent = `Copy this link: ${link}`;
      },
    );
  });
  window.addEventListener('popstate', () => {
    const back = readState(location.search).state;
    if (back.version !== initial.state.version) {
      location.reload(); // another model: start again with it
      return;
    }
    showControls(back);
    dispatch(engine, { type: 'redraw' });
  });
}

main().catch((e: unknown) => {
  setStatus('error', `Something went wrong: ${message(e)}`);
});
