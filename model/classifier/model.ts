import { initializers, type LayersModel, layers, sequential } from '@tensorflow/tfjs-layers';
import type { Seeds } from '../../train/models/presets.ts';

/** The layer whose output is the feature vector of every quality metric (penultimate, 128 wide). */
export const FEATURE_LAYER = 'features';

/**
 * The project's fixed MNIST classifier: a LeNet-style CNN (two 5×5 conv + max-pool blocks, a
 * 128-unit hidden layer, 10 logits). Small enough to train on two CPU cores in minutes and ship in
 * the repository; ≥ 99 % on the MNIST test digits.
 */
export function buildClassifier(seeds: Seeds): LayersModel {
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
