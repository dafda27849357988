import { initializers, type LayersModel, layers, sequential } from '@tensorflow/tfjs-layers';
import type { Seeds } from '../../train/models/presets.ts';

/** The layer whose output is the feature vector of every quality metric (the penultimate layer). */
export const FEATURE_LAYER = 'features';

/**
 * The two fixed classifiers: `cnn` is the project's feature space (every metric), `mlp` the second
 * space FID, its floor, precision and recall are also reported in, so that one architecture's
 * blind spots do not flatter a model.
 */
export const ARCHS = ['cnn', 'mlp'] as const;
export type Arch = (typeof ARCHS)[number];

/** A LeNet-style CNN (two 5×5 conv + max-pool blocks, 128 features, 10 logits); ≥ 99 % on MNIST test. */
function buildCnn(seeds: Seeds): LayersModel {
  const glorot = () => initializers.glorotUniform({ seed: seeds.next() });
  const m = sequential({ name: 'mnist_classifier' });
  m.add(
    layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 16,
      kernelSize: 5,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: glorot(),
    }),
  );
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(
    layers.conv2d({
      filters: 32,
      kernelSize: 5,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: glorot(),
    }),
  );
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(layers.flatten());
  m.add(layers.dense({ units: 128, activation: 'relu', kernelInitializer: glorot(), name: FEATURE_LAYER }));
  m.add(layers.dense({ units: 10, kernelInitializer: glorot(), name: 'logits' }));
  return m;
}

/**
 * A multilayer perceptron on the raw pixels (rescaled to [0, 1]; 1024 → 256 features → 10 logits, dropout between):
 * no convolution, no pooling, no notion of neighbouring pixels, so its features weigh a digit's
 * strokes differently from the CNN's. Same input shape as the CNN, so one `classify` runs both.
 */
function buildMlp(seeds: Seeds): LayersModel {
  const glorot = () => initializers.glorotUniform({ seed: seeds.next() });
  const m = sequential({ name: 'mnist_mlp' });
  m.add(layers.flatten({ inputShape: [28, 28, 1] }));
  // Background 0 rather than −1: dense layers on pixels train faster on sparse inputs.
  m.add(layers.rescaling({ scale: 0.5, offset: 0.5 }));
  m.add(layers.dense({ units: 1024, activation: 'relu', kernelInitializer: glorot() }));
  m.add(layers.dropout({ rate: 0.3 }));
  m.add(layers.dense({ units: 256, activation: 'relu', kernelInitializer: glorot(), name: FEATURE_LAYER }));
  m.add(layers.dropout({ rate: 0.3 }));
  m.add(layers.dense({ units: 10, kernelInitializer: glorot(), name: 'logits' }));
  return m;
}

export function buildClassifier(seeds: Seeds, arch: Arch = 'cnn'): LayersModel {
  return arch === 'cnn' ? buildCnn(seeds) : buildMlp(seeds);
}

/**
 * Gives the model's dropout layers a seed for the next training step. A seeded tfjs Dropout draws
 * the same mask at every call and an unseeded one draws from Math.random, so the training loop
 * reseeds them each step from its own generator: a different mask per step, the same run per seed.
 */
export function seedDropout(model: LayersModel, seed: () => number): void {
  for (const layer of model.layers)
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed: number }).seed = seed();
}
