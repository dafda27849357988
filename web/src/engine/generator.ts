// The generator: a TF.js layers model built from verified bytes in memory (tfjs never fetches
// anything itself), and a function from latents to 28×28 images in [-1, 1].
import type * as tfc from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Latents, Manifest } from '../../../contract/index.ts';
import type { Tf } from './runtime.ts';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

export interface Generator {
  manifest: Manifest;
  /** n images, n × 28 × 28 values in [-1, 1], and how long the backend took. */
  generate(l: Latents, n: number): Promise<{ pixels: Float32Array; ms: number }>;
  dispose(): void;
}

export async function loadGenerator(
  tf: Tf,
  manifest: Manifest,
  files: Map<string, Uint8Array>,
): Promise<Generator> {
  const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
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
  const model: LayersModel = await loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tfc.io.WeightsManifestEntry[],
      weightData: weightData.buffer,
    }),
  );
  const { latentDim } = manifest;
  return {
    manifest,
    async generate(l, n) {
      const t0 = performance.now();
      const out = tf.tidy(() => {
        const z = tf.tensor2d(l.z, [n, latentDim]);
        const inputs = l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [n, 1])] : z;
        // One pass over all n: predict's default splits into passes of 32 (one more walk of the
        // layers, each kernel twice at half the batch, and a concat), which cost 1–2 ms at 64.
        return model.predict(inputs, { batchSize: n }) as tfc.Tensor;
      });
      const pixels = (await out.data()) as Float32Array;
      out.dispose();
      return { pixels, ms: performance.now() - t0 };
    },
    dispose: () => model.dispose(),
  };
}
