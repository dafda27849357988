// The engine's model side: finds the model, downloads and verifies it, builds the generator on the
// runtime the entry (worker.ts) started choosing, and turns requests into pixels. It is the bulk
// of the engine's own code (the contract's schemas among it), loaded while the runtime's binary
// and tfjs's scripts download.
import * as Comlink from 'comlink';
import {
  filterStyleRows,
  type Latents,
  latents,
  type Manifest,
  versionListSchema,
} from '../../../contract/index.ts';
import { gridImage } from '../grid.ts';
import type {
  Drawn,
  DrawSpec,
  EngineEvent,
  ManifestAnswer,
  RuntimeInfo,
  Started,
  StartOptions,
} from './api.ts';
import type { Loaded } from './debug.ts';
import { type Generator, loadGenerator } from './generator.ts';
import { slerp } from './latent.ts';
import type { Prefetched } from './model-files.ts';
import { obtainModel } from './model-source.ts';
import { planRuntime, type Runtime, type RuntimePlan, startRuntime, type Tf } from './runtime.ts';
import { STEP, step } from './steps.ts';

let tf: Tf;
let runtime: Runtime;
let generator: Generator;
let manifest: Manifest;
let firstDraw = true;
/** A style grid after the style-row filter. */
interface StyleGrid {
  latents: Latents;
  redrawn: number[];
  /** The filter's own drawing of the grid when it kept every row: drawn from here, not again. */
  drawn: { pixels: Float32Array; ms: number } | null;
}
/** The last style grids, by seed and rows, least recently used first (for the current generator). */
let styleGrids = new Map<string, Promise<StyleGrid>>();
/** Enough for a walk's two ends and Back/Forward through a few seeds: 16 × 100 digits ≈ 5 MB. */
const STYLE_GRIDS_KEPT = 16;

const info = (r: Runtime): RuntimeInfo => ({ label: r.label, kind: r.kind, initMs: r.initMs });

/** What the entry started before this module arrived. */
export interface Early {
  /** The page's request for the manifest. */
  answer: Promise<ManifestAnswer>;
  /** The model files' downloads, started from that answer before its check. */
  prefetched: Prefetched;
  plan: Promise<RuntimePlan>;
  tf: Promise<Tf>;
  /** Lines the runtime's choice and start have to say (shown once the model is there). */
  notes: string[];
}

/** The style-row filter's classifier: its module (and weights) load with the first style grid. */
let styleFilter: Promise<import('./style-filter.ts').StyleFilter> | null = null;

/** The seed's style grid, its badly read rows redrawn (contract/style-filter.ts), as Node draws it. */
function filteredStyles(seed: number, rows: number): Promise<StyleGrid> {
  const key = `${seed}/${rows}`;
  let grid = styleGrids.get(key);
  if (grid)
    styleGrids.delete(key); // set again below: now the most recently used
  else {
    styleFilter ??= import('./style-filter.ts').then((m) => m.loadStyleFilter(tf));
    const { latentDim: dim, classes } = manifest;
    const g = generator;
    grid = styleFilter.then(async (f) => {
      let first: StyleGrid['drawn'] = null;
      const filtered = await filterStyleRows(
        seed,
        latents(seed, rows, dim, 0, 'any').z,
        dim,
        classes,
        async (l, n) => {
          const read = await f.read(g, l, n);
          first ??= read; // the first read is of every row, as the seed drew them
          return read.logProbs;
        },
      );
      return { ...filtered, drawn: filtered.redrawn.length ? null : first };
    });
    grid.catch(() => styleGrids.delete(key));
  }
  styleGrids.set(key, grid);
  if (styleGrids.size > STYLE_GRIDS_KEPT) styleGrids.delete(styleGrids.keys().next().value as string);
  return grid;
}

/**
 * The latents a spec asks for, how many digits per row, the style rows the filter redrew, and the
 * digits when the filter already drew them.
 */
async function latentsFor(spec: DrawSpec): Promise<{
  z: Float32Array;
  labels: Int32Array | null;
  n: number;
  cols?: number;
  redrawn?: number[];
  drawn?: StyleGrid['drawn'];
}> {
  const { latentDim: dim, classes } = manifest;
  const make = async (seed: number): Promise<Omit<StyleGrid, 'drawn'> & Partial<StyleGrid>> =>
    spec.view === 'styles'
      ? await filteredStyles(seed, spec.rows)
      : { latents: latents(seed, spec.n, dim, classes, spec.digit), redrawn: [] };
  const from = await make(spec.seed);
  const n = spec.view === 'styles' ? spec.rows * classes : spec.n;
  const cols = spec.view === 'styles' ? classes : undefined;
  if (!spec.walkTo) return { ...from.latents, n, cols, redrawn: from.redrawn, drawn: from.drawn };
  // A walk keeps the classes of its start and moves the noise along the sphere.
  const to = (await make(spec.walkTo.seed)).latents;
  return { z: slerp(from.latents.z, to.z, dim, spec.walkTo.t), labels: from.latents.labels, n, cols };
}

export async function start(
  opts: StartOptions,
  onEvent: (e: EngineEvent) => void,
  early: Early,
): Promise<Started | null> {
  const note = (line: string) => early.notes.push(line);
  const runtimeReady = Promise.all([early.tf, early.plan]).then(([tfCore, plan]) => {
    tf = tfCore;
    return startRuntime(tf, plan, note, opts.backend === null);
  });
  runtimeReady.catch(() => {}); // reported below, if the model arrives
  const model = await obtainModel(early.answer, opts.lastGood, onEvent, early.prefetched);
  if (!model) return null;
  onEvent({ type: 'status', state: 'loading', text: 'Starting the runtime…' });
  runtime = await runtimeReady;
  for (const text of early.notes) onEvent({ type: 'note', text });
  manifest = model.manifest;
  generator = await step(STEP.generator, () => loadGenerator(tf, manifest, model.files));
  void runtime.lost.then(async (why) => {
    // WebGPU can lose its device (driver reset, GPU process crash): carry on with WASM.
    onEvent({ type: 'note', text: `The WebGPU device was lost (${why}); switched to WASM.` });
    const wasm = await planRuntime('wasm', opts.threads, () => {});
    runtime = await startRuntime(tf, wasm, (text) => onEvent({ type: 'note', text }));
    generator = await loadGenerator(tf, manifest, model.files);
    [styleFilter, styleGrids] = [null, new Map()];
    onEvent({ type: 'runtime', runtime: info(runtime) });
  });
  return { manifest, runtime: info(runtime) };
}

export async function draw(spec: DrawSpec): Promise<Drawn> {
  if (!generator) throw new Error('The model is not loaded yet.');
  const l = await latentsFor(spec);
  const generate = () => generator.generate(l, l.n);
  const { pixels, ms } = l.drawn ?? (await (firstDraw ? step(STEP.generate, generate) : generate()));
  firstDraw = false;
  const image = gridImage(pixels, l.n, l.cols);
  const drawn: Drawn = {
    ...image,
    n: l.n,
    cols: l.cols ?? Math.ceil(Math.sqrt(l.n)),
    ms,
    ...(spec.view === 'styles' && !spec.walkTo ? { redrawn: l.redrawn } : {}),
  };
  return Comlink.transfer(drawn, [image.rgba.buffer]);
}

export async function versions() {
  const res = await fetch('/v1/models?limit=50', { cache: 'no-cache' });
  if (!res.ok) throw new Error(`The model server answered ${res.status} for the version list.`);
  const parsed = versionListSchema.safeParse(await res.json());
  if (!parsed.success) throw new Error('The version list does not follow the contract.');
  return parsed.data;
}

/** What the test build's debug methods work on (read when called: a lost device replaces it). */
export const loaded = (): Loaded => ({ tf, generator, manifest, latents });
