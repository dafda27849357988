// The style-row filter's classifier on the page (contract/style-filter.ts says what it is for). Its
// 6,138 weights ride inside this module's own chunk, fetched the first time a style grid is drawn:
// the cold path and the other views never load it, and the service worker precaches it with the
// page's other scripts. It runs on the generator's backend, through the page's graph.

import type { Latents } from '../../../contract/index.ts';
import topology from '../../../contract/style-filter/model.json';
import weightsUrl from '../../../contract/style-filter/weights.bin?inline';
import type { Generator } from './generator.ts';
import { compileGraph, type Graph } from './graph.ts';
import type { Tf } from './runtime.ts';

interface FilterJson {
  modelTopology: unknown;
  weightsManifest: { weights: unknown[] }[];
}

/** base64 (a data: URL's payload) to bytes; fetch() on a data: URL would need the CSP to allow it. */
function decode(dataUrl: string): ArrayBuffer {
  const text = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes.buffer;
}

export interface StyleFilter {
  /** The generator's digits for the latents (and its time), read by the filter: n × 10 log-probabilities. */
  read(
    generator: Generator,
    l: Latents,
    n: number,
  ): Promise<{ logProbs: Float32Array; pixels: Float32Array; ms: number }>;
}

export function loadStyleFilter(tf: Tf): StyleFilter {
  const json = topology as FilterJson;
  const specs = json.weightsManifest.flatMap((g) => g.weights) as Parameters<Tf['io']['decodeWeights']>[1];
  const graph: Graph = compileGraph(tf, json.modelTopology, tf.io.decodeWeights(decode(weightsUrl), specs));
  return {
    async read(generator, l, n) {
      const { pixels, ms } = await generator.generate(l, n);
      const out = tf.tidy(() => tf.logSoftmax(graph([tf.tensor4d(pixels, [n, 28, 28, 1])])));
      const logProbs = (await out.data()) as Float32Array;
      out.dispose();
      return { logProbs, pixels, ms };
    },
  };
}
