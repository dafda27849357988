import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, model } from '@tensorflow/tfjs-layers';
import type { MnistSplit } from '../../train/data/mnist.ts';
import { loadLayersModelFromDir } from '../model-io.ts';
import { type Arch, FEATURE_LAYER } from './model.ts';

/** Where each shipped classifier lives (model.json, weights.bin, record.json). */
export const SHIPPED_CLASSIFIERS: Record<Arch, string> = {
  cnn: join(import.meta.dirname, 'shipped'),
  mlp: join(import.meta.dirname, 'shipped-mlp'),
  // The page loads it too: it lives with what the page and Node share.
  filter: join(import.meta.dirname, '../../contract/style-filter'),
};
/** The project's feature space: every metric is computed in it. */
export const SHIPPED_CLASSIFIER = SHIPPED_CLASSIFIERS.cnn;

export interface Classified {
  /** Softmax class probabilities, n × 10. */
  probs: Float32Array;
  /** Penultimate-layer features, n × dim. */
  features: Float32Array;
  dim: number;
}

/** The classifier with two outputs: features and class probabilities. */
export function withFeatures(classifier: LayersModel): LayersModel {
  const features = classifier.getLayer(FEATURE_LAYER).output;
  return model({ inputs: classifier.inputs, outputs: [features as never, classifier.outputs[0]] });
}

export async function loadShippedClassifier(arch: Arch = 'cnn'): Promise<LayersModel> {
  return loadLayersModelFromDir(SHIPPED_CLASSIFIERS[arch]);
}

/** A shipped classifier's name in reports: its architecture and its weights' sha256 prefix. */
export function shippedClassifierName(arch: Arch): string {
  const record = JSON.parse(readFileSync(join(SHIPPED_CLASSIFIERS[arch], 'record.json'), 'utf8')) as {
    weightsSha256: string;
  };
  return `${arch}@${record.weightsSha256.slice(0, 8)}`;
}

/** Runs images (n × 784, values in [-1, 1]) through the classifier in batches. */
export function classify(classifier: LayersModel, images: Float32Array, batch = 500): Classified {
  const n = images.length / 784;
  const both = withFeatures(classifier);
  const dim = (both.outputs[0].shape[1] as number) ?? 0;
  const probs = new Float32Array(n * 10);
  const features = new Float32Array(n * dim);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(i * 784, (i + m) * 784), [m, 28, 28, 1]);
      const [f, logits] = both.predict(x) as tf.Tensor[];
      features.set(f.dataSync(), i * dim);
      probs.set(tf.softmax(logits).dataSync(), i * 10);
    });
  }
  return { probs, features, dim };
}

export function argmax10(probs: Float32Array, i: number): number {
  let best = 0;
  for (let k = 1; k < 10; k++) if (probs[i * 10 + k] > probs[i * 10 + best]) best = k;
  return best;
}

export function accuracy(probs: Float32Array, data: MnistSplit): number {
  let ok = 0;
  for (let i = 0; i < data.count; i++) if (argmax10(probs, i) === data.labels[i]) ok++;
  return ok / data.count;
}
