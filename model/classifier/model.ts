import {
  initializers,
  input,
  type LayersModel,
  layers,
  model,
  type SymbolicTensor,
  sequential,
} from '@tensorflow/tfjs-layers';
import type { Seeds } from '../../train/models/presets.ts';

/** The layer whose output is the feature vector of every quality metric (the penultimate layer). */
export const FEATURE_LAYER = 'features';

/**
 * The fixed classifiers: `cnn` is the project's feature space (every metric), `mlp` the second
 * space FID, its floor, precision and recall are also reported in, so that one architecture's
 * blind spots do not flatter a model. `filter` is the page's style-row filter (contract/style-filter.ts):
 * small enough to ship with the page, and neither of the metrics' classifiers, so the metrics do not
 * judge a filter built on themselves.
 */
export const ARCHS = ['cnn', 'mlp', 'filter'] as const;
export type Arch = (typeof ARCHS)[number];
/** The classifiers whose feature spaces the quality metrics use. */
export const METRIC_ARCHS = ['cnn', 'mlp'] as const satisfies readonly Arch[];

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

/**
 * Three 3×3 convolutions of stride 2 (28 → 14 → 7 → 4, 8, 16 and 16 channels) and one Dense layer
 * to 10 logits: 6,138 weights, about 98.5 % on MNIST test. A functional model of layers the page's
 * graph compiles (web/src/engine/graph.ts), so the page runs it as it runs the generator.
 */
function buildFilter(seeds: Seeds): LayersModel {
  const glorot = () => initializers.glorotUniform({ seed: seeds.next() });
  const conv = (filters: number, name: string) =>
    layers.conv2d({
      name,
      filters,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: glorot(),
    });
  const digits = input({ shape: [28, 28, 1], name: 'digits' });
  let x = conv(8, 'conv1').apply(digits) as SymbolicTensor;
  x = conv(16, 'conv2').apply(x) as SymbolicTensor;
  x = conv(16, 'conv3').apply(x) as SymbolicTensor;
  x = layers.flatten({ name: FEATURE_LAYER }).apply(x) as SymbolicTensor;
  const logits = layers
    .dense({ units: 10, kernelInitializer: glorot(), name: 'logits' })
    .apply(x) as SymbolicTensor;
  return model({ inputs: digits, outputs: logits, name: 'style_filter' });
}

const BUILDERS: Record<Arch, (seeds: Seeds) => LayersModel> = {
  cnn: buildCnn,
  mlp: buildMlp,
  filter: buildFilter,
};

export function buildClassifier(seeds: Seeds, arch: Arch = 'cnn'): LayersModel {
  return BUILDERS[arch](seeds);
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
