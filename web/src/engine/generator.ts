// The generator: built from verified bytes in memory (tfjs never fetches anything itself), and a
// function from latents to 28×28 images in [-1, 1]. Our exports run as a graph of tfjs-core ops
// (graph.ts); a model with a layer that graph does not know runs through tfjs-layers, loaded then.
import type * as tfc from '@tensorflow/tfjs-core';
import type { Latents, Manifest } from '../../../contract/index.ts';
import { compileGraph, type Graph, Unsupported } from './graph.ts';
import type { Tf } from './runtime.ts';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

export interface Generator {
  manifest: Manifest;
  /** How it runs: our graph of tfjs-core ops, or tfjs-layers (a model with other layers). */
  runner: 'graph' | 'tfjs-layers';
  /** n images, n × 28 × 28 values in [-1, 1], and how long the backend took. */
  generate(l: Latents, n: number): Promise<{ pixels: Float32Array; ms: number }>;
  dispose(): void;
}

/** model.json and its weight files, as tfjs's in-memory model artifacts. */
function artifacts(files: Map<string, Uint8Array>) {
  const json = JSON.parse(new TextDecoder().decode(files.get('model.json'))) as ModelJson;
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const parts = paths.map((p) => {
    const bytes = files.get(p);
    if (!bytes) throw new Error(`model.json names ${p}, which the manifest does not list`);
    return bytes;
  });
  const weightData = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.length;
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights) as tfc.io.WeightsManifestEntry[];
  return { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer };
}

type Artifacts = ReturnType<typeof artifacts>;
interface Runner {
  graph: Graph;
  dispose(): void;
}

/** The graph of tfjs-core ops, or null (and why, on the console) when tfjs-layers must run it. */
function graphOf(tf: Tf, a: Artifacts): Runner | null {
  const weights = tf.io.decodeWeights(a.weightData, a.weightSpecs);
  const dispose = () => tf.dispose(Object.values(weights));
  try {
    return { graph: compileGraph(tf, a.modelTopology, weights), dispose };
  } catch (e) {
    dispose();
    if (!(e instanceof Unsupported)) throw e;
    console.info(`The model runs through tfjs-layers: ${e.message} is not compiled by the page's graph.`);
    return null;
  }
}

async function layersGraph(tf: Tf, a: Artifacts): Promise<Runner> {
  const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
  const model = await loadLayersModel(tf.io.fromMemory(a));
  // One pass over all n: predict's default splits into passes of 32 (one more walk of the layers,
  // each kernel twice at half the batch, and a concat), which cost 1–2 ms at 64.
  const graph: Graph = (xs) => model.predict(xs, { batchSize: xs[0].shape[0] }) as tfc.Tensor;
  return { graph, dispose: () => model.dispose() };
}

export async function loadGenerator(
  tf: Tf,
  manifest: Manifest,
  files: Map<string, Uint8Array>,
): Promise<Generator> {
  const a = artifacts(files);
  const ours = graphOf(tf, a);
  const { graph, dispose } = ours ?? (await layersGraph(tf, a));
  const { latentDim } = manifest;
  return {
    manifest,
    runner: ours ? 'graph' : 'tfjs-layers',
    async generate(l, n) {
      const t0 = performance.now();
      const out = tf.tidy(() => {
        const z = tf.tensor2d(l.z, [n, latentDim]);
        return graph(l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [n, 1])] : [z]);
      });
      const pixels = (await out.data()) as Float32Array;
      out.dispose();
      return { pixels, ms: performance.now() - t0 };
    },
    dispose,
  };
}
