import { initializers, type LayersModel, layers, model, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { PresetName } from '../../contract/index.ts';
import { MinibatchStdDev } from './minibatch-stddev.ts';
import { SeededDropout } from './seeded-dropout.ts';

export type { PresetName };

/** Where every random number of a model build comes from (weight init, dropout masks). */
export interface Seeds {
  next(): number;
}

export interface Preset {
  name: PresetName;
  latentDim: number;
  /** 0 = unconditional; otherwise the generator takes the class as a second input `[batch, 1]`. */
  classes: number;
  /** Maps [noise] (or [noise, label]) to 28×28×1 images in [-1, 1]. */
  generator(seeds: Seeds): LayersModel;
  /**
   * Maps images (28×28×1), and with classes > 0 their class [batch, 1], to real/fake logits
   * [batch, 1]. `width` multiplies its channels (D is never shipped, so only training pays for it).
   */
  discriminator(seeds: Seeds, width?: number): LayersModel;
}

const glorot = (s: Seeds) => initializers.glorotUniform({ seed: s.next() });

/** The seed document's DCGAN, layer for layer (the TensorFlow DCGAN tutorial). Our baseline. */
const tutorial: Preset = {
  name: 'tutorial',
  latentDim: 100,
  classes: 0,
  generator(s) {
    const z = layers.input({ shape: [100], name: 'noise' });
    let h = layers.dense({ units: 7 * 7 * 256, useBias: false, kernelInitializer: glorot(s) }).apply(z);
    h = layers.batchNormalization().apply(h);
    h = layers.leakyReLU().apply(h);
    h = layers.reshape({ targetShape: [7, 7, 256] }).apply(h);
    for (const filters of [128, 64]) {
      const strides = filters === 128 ? 1 : 2;
      h = layers
        .conv2dTranspose({
          filters,
          kernelSize: 5,
          strides,
          padding: 'same',
          useBias: false,
          kernelInitializer: glorot(s),
        })
        .apply(h);
      h = layers.batchNormalization().apply(h);
      h = layers.leakyReLU().apply(h);
    }
    const img = layers
      .conv2dTranspose({
        filters: 1,
        kernelSize: 5,
        strides: 2,
        padding: 'same',
        useBias: false,
        activation: 'tanh',
        kernelInitializer: glorot(s),
      })
      .apply(h) as SymbolicTensor;
    return model({ inputs: z, outputs: img, name: 'generator' });
  },
  discriminator(s, width = 1) {
    const x = layers.input({ shape: [28, 28, 1], name: 'image' });
    let h: ReturnType<layers.Layer['apply']> = x;
    for (const filters of [64 * width, 128 * width]) {
      h = layers.leakyReLU().apply(halve(h, filters, 5, s));
      h = new SeededDropout(0.3, () => s.next()).apply(h);
    }
    h = layers.flatten().apply(h);
    const logit = layers.dense({ units: 1, kernelInitializer: glorot(s) }).apply(h) as SymbolicTensor;
    return model({ inputs: x, outputs: logit, name: 'discriminator' });
  },
};

/** A discriminator's downsampling step: a stride-2 convolution that halves the image. */
function halve(h: ReturnType<layers.Layer['apply']>, filters: number, kernelSize: number, s: Seeds) {
  return layers
    .conv2d({ filters, kernelSize, strides: 2, padding: 'same', kernelInitializer: glorot(s) })
    .apply(h);
}

/**
 * On-device generator: no Conv2DTranspose (tfjs's WASM backend runs it as a naive loop), so
 * nearest-neighbour upsampling + Conv2D, which runs on XNNPACK's optimized path. 232,609 weights
 * (283 k with the class embedding of `fast-cond`) and ≈ 4.4 M multiply-adds per digit.
 */
function fastGenerator(s: Seeds, latentDim: number, classes: number): LayersModel {
  const z = layers.input({ shape: [latentDim], name: 'noise' });
  const inputs = [z];
  let h: SymbolicTensor = z;
  if (classes > 0) {
    const label = layers.input({ shape: [1], name: 'label' });
    inputs.push(label);
    const emb = layers
      .embedding({
        inputDim: classes,
        outputDim: 16,
        embeddingsInitializer: initializers.randomNormal({ stddev: 1, seed: s.next() }),
      })
      .apply(label);
    h = layers.concatenate().apply([z, layers.flatten().apply(emb) as SymbolicTensor]) as SymbolicTensor;
  }
  let x = layers.dense({ units: 7 * 7 * 64, useBias: false, kernelInitializer: glorot(s) }).apply(h);
  x = layers.batchNormalization().apply(x);
  x = layers.leakyReLU({ alpha: 0.2 }).apply(x);
  x = layers.reshape({ targetShape: [7, 7, 64] }).apply(x);
  x = layers.upSampling2d({ size: [2, 2] }).apply(x);
  x = layers
    .conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: glorot(s) })
    .apply(x);
  x = layers.batchNormalization().apply(x);
  x = layers.leakyReLU({ alpha: 0.2 }).apply(x);
  x = layers.upSampling2d({ size: [2, 2] }).apply(x);
  const img = layers
    .conv2d({ filters: 1, kernelSize: 5, padding: 'same', activation: 'tanh', kernelInitializer: glorot(s) })
    .apply(x) as SymbolicTensor;
  return model({ inputs, outputs: img, name: 'generator' });
}

/**
 * A compact DCGAN critic with a minibatch-stddev feature. With classes > 0 it is a projection
 * discriminator (Miyato & Koyama 2018): D(x, y) = w·φ(x) + embed(y)·φ(x), so a fake must look
 * real *for its class*. (An auxiliary-classifier head, tried first, let G collapse to one
 * prototype per class that the head merely had to label right.)
 */
function fastDiscriminator(s: Seeds, classes: number, width: number): LayersModel {
  const x = layers.input({ shape: [28, 28, 1], name: 'image' });
  let h: ReturnType<layers.Layer['apply']> = x;
  for (const filters of [32 * width, 64 * width]) {
    h = layers.leakyReLU({ alpha: 0.2 }).apply(halve(h, filters, 4, s));
  }
  const phi = new MinibatchStdDev().apply(layers.flatten().apply(h)) as SymbolicTensor;
  const logit = layers.dense({ units: 1, kernelInitializer: glorot(s), name: 'adversarial' }).apply(phi);
  if (classes === 0) return model({ inputs: x, outputs: logit as SymbolicTensor, name: 'discriminator' });
  const label = layers.input({ shape: [1], name: 'label' });
  const embedded = layers
    .embedding({
      inputDim: classes,
      outputDim: phi.shape[1] as number,
      embeddingsInitializer: initializers.glorotUniform({ seed: s.next() }),
    })
    .apply(label);
  const projection = layers.dot({ axes: 1 }).apply([phi, layers.flatten().apply(embedded) as SymbolicTensor]);
  const out = layers.add().apply([logit as SymbolicTensor, projection as SymbolicTensor]) as SymbolicTensor;
  return model({ inputs: [x, label], outputs: out, name: 'discriminator' });
}

/** The on-device pair: unconditional (`fast`) or told which digit to draw (`fast-cond`). */
const fastPreset = (name: 'fast' | 'fast-cond', classes: number): Preset => ({
  name,
  latentDim: 64,
  classes,
  generator: (s) => fastGenerator(s, 64, classes),
  discriminator: (s, width = 1) => fastDiscriminator(s, classes, width),
});
const fast = fastPreset('fast', 0);
const fastCond = fastPreset('fast-cond', 10);

const BY_NAME: Record<PresetName, Preset> = { tutorial, fast, 'fast-cond': fastCond };

export function getPreset(name: PresetName): Preset {
  return BY_NAME[name];
}
