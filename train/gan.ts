import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Preset, Seeds } from './models/presets.ts';

/** One step's numbers, read back from the device once per step. */
export interface StepStats {
  dLoss: number;
  gLoss: number;
  /** Mean D(x) on real digits and mean D(G(z)) on fakes, as probabilities. */
  dReal: number;
  dFake: number;
}

export interface Batch {
  real: tf.Tensor4D;
  /** Class of each real digit, [batch, 1] (conditional presets only). */
  realLabels: tf.Tensor2D | null;
  noise: tf.Tensor2D;
  /** Classes asked of the generator, [batch, 1] (conditional presets only). */
  fakeLabels: tf.Tensor2D | null;
}

export const variablesOf = (m: LayersModel): tf.Variable[] =>
  m.trainableWeights.map((w) => w.read() as tf.Variable);

/**
 * The non-saturating GAN objective (Goodfellow et al. 2014): D learns real → 1, fake → 0 with
 * sigmoid cross-entropy on logits; G learns to make D say 1 on its fakes. Conditional presets judge
 * each image together with its class (a projection discriminator): real digits with their labels,
 * fakes with the class G was asked for. Each Adam updates only its own network.
 */
export class GanTrainer {
  readonly gVars: tf.Variable[];
  readonly dVars: tf.Variable[];

  constructor(
    readonly generator: LayersModel,
    readonly discriminator: LayersModel,
    readonly gOptimizer: tf.Optimizer,
    readonly dOptimizer: tf.Optimizer,
    readonly classes: number,
  ) {
    this.gVars = variablesOf(generator);
    this.dVars = variablesOf(discriminator);
  }

  /** G in training mode (BatchNorm on batch statistics, moving averages updated). */
  generate(b: Batch): tf.Tensor4D {
    const inputs = b.fakeLabels ? [b.noise, b.fakeLabels] : b.noise;
    return this.generator.apply(inputs, { training: true }) as tf.Tensor4D;
  }

  /** D's logits; conditional presets also show D the class each image is meant to be. */
  private judge(images: tf.Tensor4D, labels: tf.Tensor2D | null): tf.Tensor {
    const inputs = this.classes > 0 && labels ? [images, labels] : images;
    return this.discriminator.apply(inputs, { training: true }) as tf.Tensor;
  }

  /** D's loss on a real batch and given fakes; also returns mean D(x) and D(G(z)). */
  discriminatorLoss(b: Batch, fake: tf.Tensor4D): { loss: tf.Scalar; dReal: tf.Scalar; dFake: tf.Scalar } {
    const realLogit = this.judge(b.real, b.realLabels);
    const fakeLogit = this.judge(fake, b.fakeLabels);
    const loss = tf.add(
      tf.losses.sigmoidCrossEntropy(tf.onesLike(realLogit), realLogit),
      tf.losses.sigmoidCrossEntropy(tf.zerosLike(fakeLogit), fakeLogit),
    ) as tf.Scalar;
    return {
      loss,
      dReal: tf.mean(tf.sigmoid(realLogit)) as tf.Scalar,
      dFake: tf.mean(tf.sigmoid(fakeLogit)) as tf.Scalar,
    };
  }

  /** G's non-saturating loss −log D(G(z)), and the fakes themselves. */
  generatorLoss(b: Batch): { loss: tf.Scalar; fake: tf.Tensor4D } {
    const fake = this.generate(b);
    const fakeLogit = this.judge(fake, b.fakeLabels);
    const loss = tf.losses.sigmoidCrossEntropy(tf.onesLike(fakeLogit), fakeLogit) as tf.Scalar;
    return { loss, fake };
  }

  /** Updates G only; returns its loss and the fakes it made (the caller disposes both). */
  gStep(b: Batch): { loss: tf.Scalar; fake: tf.Tensor4D } {
    let fake: tf.Tensor4D | undefined;
    const loss = tf.tidy(
      () =>
        this.gOptimizer.minimize(
          () => {
            const r = this.generatorLoss(b);
            fake = tf.keep(r.fake);
            return r.loss;
          },
          true,
          this.gVars,
        )!,
    );
    return { loss, fake: fake! };
  }

  /** Updates D only, on a real batch and the given fakes (no gradient path into G). */
  dStep(b: Batch, fake: tf.Tensor4D): tf.Tensor1D {
    return tf.tidy(() => {
      let dReal: tf.Scalar | undefined;
      let dFake: tf.Scalar | undefined;
      const loss = this.dOptimizer.minimize(
        () => {
          const r = this.discriminatorLoss(b, fake);
          dReal = tf.keep(r.dReal);
          dFake = tf.keep(r.dFake);
          return r.loss;
        },
        true,
        this.dVars,
      );
      const out = tf.stack([loss!, dReal!, dFake!]) as tf.Tensor1D;
      tf.dispose([dReal!, dFake!]);
      return out;
    });
  }

  /**
   * One simultaneous update, as in the DCGAN tutorial: one forward pass of G feeds both losses; G
   * is updated against the current D, and D is updated on those same fakes. This saves a third
   * generator pass per step compared with regenerating fakes for D.
   */
  step(b: Batch): StepStats {
    const g = this.gStep(b);
    const d = this.dStep(b, g.fake);
    // One read-back per step.
    const both = tf.tidy(() => tf.concat([d, tf.reshape(g.loss, [1])]));
    const [dLoss, dReal, dFake, gLoss] = both.dataSync();
    tf.dispose([d, g.loss, g.fake, both]);
    return { dLoss, gLoss, dReal, dFake };
  }

  /** True when every weight of both networks is finite (one read-back). */
  weightsFinite(): boolean {
    const all = [...this.generator.weights, ...this.discriminator.weights].map((w) => w.read());
    return tf.tidy(() => tf.all(tf.stack(all.map((t) => tf.all(tf.isFinite(t))))).dataSync()[0] === 1);
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
  }
}

/** Builds a preset's two networks (weights from `seeds`) and their two Adam optimizers. */
export function createGan(preset: Preset, seeds: Seeds, adam: { lr: number; beta1: number }): GanTrainer {
  return new GanTrainer(
    preset.generator(seeds),
    preset.discriminator(seeds),
    tf.train.adam(adam.lr, adam.beta1),
    tf.train.adam(adam.lr, adam.beta1),
    preset.classes,
  );
}
