// The engine: a module worker that finds the model, downloads and verifies it, starts the best
// runtime this device has and turns requests into pixels. Nothing here runs on the page's thread,
// so the page answers clicks and typing while digits are computed.
import * as Comlink from 'comlink';
import { latents, type Manifest, styleLatents, versionListSchema } from '../../../contract/index.ts';
import { gridImage } from '../grid.ts';
import type { Drawn, DrawSpec, EngineApi, EngineEvent, RuntimeInfo, StartOptions } from './api.ts';
import { engineDebug } from './debug.ts';
import { type Generator, loadGenerator } from './generator.ts';
import { slerp } from './latent.ts';
import { obtainModel } from './model-source.ts';
import { type Runtime, startRuntime, type Tf } from './runtime.ts';

let tf: Tf;
let runtime: Runtime;
let generator: Generator;
let manifest: Manifest;

const info = (r: Runtime): RuntimeInfo => ({ label: r.label, kind: r.kind, initMs: r.initMs });

/** The latents a spec asks for, and how many digits per row. */
function latentsFor(spec: DrawSpec): {
  z: Float32Array;
  labels: Int32Array | null;
  n: number;
  cols?: number;
} {
  const { latentDim: dim, classes } = manifest;
  const make = (seed: number) =>
    spec.view === 'styles'
      ? styleLatents(seed, spec.rows, dim, classes)
      : latents(seed, spec.n, dim, classes, spec.digit);
  const from = make(spec.seed);
  const n = spec.view === 'styles' ? spec.rows * classes : spec.n;
  const cols = spec.view === 'styles' ? classes : undefined;
  if (!spec.walkTo) return { ...from, n, cols };
  // A walk keeps the classes of its start and moves the noise along the sphere.
  const to = make(spec.walkTo.seed);
  return { z: slerp(from.z, to.z, dim, spec.walkTo.t), labels: from.labels, n, cols };
}

const engine: EngineApi = {
  async start(opts: StartOptions, onEvent: (e: EngineEvent) => void) {
    // The runtime (tfjs, its backend, a WASM compile) starts while the manifest and weights
    // download: the two do not depend on each other.
    const notes: string[] = [];
    const runtimeReady = (async () => {
      const core = await import('@tensorflow/tfjs-core');
      tf = core;
      return startRuntime(tf, opts.backend, (line) => notes.push(line));
    })();
    runtimeReady.catch(() => {}); // reported below, if the model arrives
    const model = await obtainModel(opts.version, opts.lastGood, onEvent);
    if (!model) return null;
    onEvent({ type: 'status', state: 'loading', text: 'Starting the runtime…' });
    runtime = await runtimeReady;
    for (const text of notes) onEvent({ type: 'note', text });
    manifest = model.manifest;
    generator = await loadGenerator(tf, manifest, model.files);
    void runtime.lost.then(async (why) => {
      // WebGPU can lose its device (driver reset, GPU process crash): carry on with WASM.
      onEvent({ type: 'note', text: `The WebGPU device was lost (${why}); switched to WASM.` });
      runtime = await startRuntime(tf, 'wasm', (text) => onEvent({ type: 'note', text }));
      generator = await loadGenerator(tf, manifest, model.files);
      onEvent({ type: 'runtime', runtime: info(runtime) });
    });
    return { manifest, runtime: info(runtime) };
  },

  async draw(spec) {
    if (!generator) throw new Error('The model is not loaded yet.');
    const l = latentsFor(spec);
    const { pixels, ms } = await generator.generate(l, l.n);
    const image = gridImage(pixels, l.n, l.cols);
    const drawn: Drawn = { ...image, n: l.n, cols: l.cols ?? Math.ceil(Math.sqrt(l.n)), ms };
    return Comlink.transfer(drawn, [image.rgba.buffer]);
  },

  async versions() {
    const res = await fetch('/v1/models?limit=50', { cache: 'no-cache' });
    if (!res.ok) throw new Error(`The model server answered ${res.status} for the version list.`);
    const parsed = versionListSchema.safeParse(await res.json());
    if (!parsed.success) throw new Error('The version list does not follow the contract.');
    return parsed.data;
  },
};

// The test build adds its debug methods (engine/debug.ts); in production the flag is the literal
// false, and neither they nor that module are bundled.
declare const __DEBUG_HOOKS__: boolean;
Comlink.expose(__DEBUG_HOOKS__ ? { ...engine, ...engineDebug(() => ({ tf, generator, manifest })) } : engine);
