import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Preset, Seeds } from './models/presets.ts';
import { r1Penalty } from './r1.ts';
import { topKCount, topKNonSaturatingLoss } from './top-k.ts';

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
    /** Weight of the mode-seeking term (0 = off); batches then come in pairs sharing a class. */
    readonly modeSeeking = 0,
    /** R1 penalty weight γ on real digits (0 = off; train/r1.ts). */
    readonly r1Gamma = 0,
  ) {
    this.gVars = variablesOf(generator);
    this.dVars = variablesOf(discriminator);
    this.baseLr = [learningRate(gOptimizer).value, learningRate(dOptimizer).value];
  }

  private readonly baseLr: [number, number];

  /** Scales both learning rates (annealing); 1 = the recipe's own. Adam reads its rate at every update. */
  setLrScale(factor: number): void {
    learningRate(this.gOptimizer).value = this.baseLr[0] * factor;
    learningRate(this.dOptimizer).value = this.baseLr[1] * factor;
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

  /** D's loss on a real batch and given fakes (plus R1 when on); also returns mean D(x) and D(G(z)). */
  discriminatorLoss(b: Batch, fake: tf.Tensor4D): { loss: tf.Scalar; dReal: tf.Scalar; dFake: tf.Scalar } {
    const realLogit = this.judge(b.real, b.realLabels);
    const fakeLogit = this.judge(fake, b.fakeLabels);
    let loss = tf.add(
      tf.losses.sigmoidCrossEntropy(tf.onesLike(realLogit), realLogit),
      tf.losses.sigmoidCrossEntropy(tf.zerosLike(fakeLogit), fakeLogit),
    ) as tf.Scalar;
    if (this.r1Gamma > 0) {
      loss = tf.add(
        loss,
        r1Penalty((x) => this.judge(x, b.realLabels), b.real, this.r1Gamma),
      ) as tf.Scalar;
    }
    return {
      loss,
      dReal: tf.mean(tf.sigmoid(realLogit)) as tf.Scalar,
      dFake: tf.mean(tf.sigmoid(fakeLogit)) as tf.Scalar,
    };
  }

  /**
   * G's non-saturating loss −log D(G(z)), and the fakes themselves. With `topK` < 1 only that
   * share of the fakes, those D scores highest, count (top-k training, train/top-k.ts). With mode
   * seeking (MSGAN, Mao et al. 2019) G also pays λ / (|G(z₁,c) − G(z₂,c)| / |z₁ − z₂|) over the
   * batch's pairs of rows (2k, 2k+1), which share a class: a G that ignores its noise makes that
   * ratio small.
   */
  generatorLoss(b: Batch, topK = 1): { loss: tf.Scalar; fake: tf.Tensor4D } {
    const fake = this.generate(b);
    const fakeLogit = this.judge(fake, b.fakeLabels);
    const k = topKCount(topK, fakeLogit.size);
    let loss = (
      k < fakeLogit.size
        ? topKNonSaturatingLoss(fakeLogit, k)
        : tf.losses.sigmoidCrossEntropy(tf.onesLike(fakeLogit), fakeLogit)
    ) as tf.Scalar;
    if (this.modeSeeking > 0) {
      const pairGap = (t: tf.Tensor) => {
        const p = tf.reshape(t, [t.shape[0] / 2, 2, -1]);
        const [first, second] = tf.split(p, 2, 1);
        return tf.mean(tf.abs(tf.sub(first, second)));
      };
      const ratio = tf.div(pairGap(fake), pairGap(b.noise));
      loss = tf.add(loss, tf.div(this.modeSeeking, tf.add(ratio, 1e-5))) as tf.Scalar;
    }
    return { loss, fake };
  }

  /** Updates G only; returns its loss and the fakes it made (the caller disposes both). */
  gStep(b: Batch, topK = 1): { loss: tf.Scalar; fake: tf.Tensor4D } {
    let fake: tf.Tensor4D | undefined;
    const loss = tf.tidy(
      () =>
        this.gOptimizer.minimize(
          () => {
            const r = this.generatorLoss(b, topK);
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
   * Both networks' gradients on one batch, nothing applied: what a data-parallel replica computes on
   * its share of the batch (train/parallel/). Same maths as gStep + dStep: D's gradients do not
   * depend on G's update, so computing both before applying either is the same simultaneous step.
   * `stats` is [dLoss, gLoss, dReal, dFake]; the caller disposes everything. Top-k selects within
   * this batch: a replica keeps the best `topK` share of its own shard.
   */
  gradients(b: Batch, topK = 1): { g: tf.NamedTensorMap; d: tf.NamedTensorMap; stats: tf.Tensor1D } {
    let fake: tf.Tensor4D | undefined;
    const g = tf.variableGrads(() => {
      const r = this.generatorLoss(b, topK);
      fake = tf.keep(r.fake);
      return r.loss;
    }, this.gVars);
    let dReal: tf.Scalar | undefined;
    let dFake: tf.Scalar | undefined;
    const d = tf.variableGrads(() => {
      const r = this.discriminatorLoss(b, fake!);
      dReal = tf.keep(r.dReal);
      dFake = tf.keep(r.dFake);
      return r.loss;
    }, this.dVars);
    const stats = tf.tidy(() => tf.stack([d.value, g.value, dReal!, dFake!]) as tf.Tensor1D);
    tf.dispose([fake!, dReal!, dFake!, g.value, d.value]);
    return { g: g.grads, d: d.grads, stats };
  }

  /** Applies gradients (keyed by variable name, as gradients() returns them) with each net's Adam. */
  applyGradients(g: tf.NamedTensorMap, d: tf.NamedTensorMap): void {
    // Adam pairs its moments with variables by position: keep the variables' own order.
    this.gOptimizer.applyGradients(this.gVars.map((v) => ({ name: v.name, tensor: g[v.name] })));
    this.dOptimizer.applyGradients(this.dVars.map((v) => ({ name: v.name, tensor: d[v.name] })));
  }

  /**
   * One simultaneous update, as in the DCGAN tutorial: one forward pass of G feeds both losses; G
   * is updated against the current D, and D is updated on those same fakes. This saves a third
   * generator pass per step compared with regenerating fakes for D. `topK`: the share of the fakes
   * G learns from (1 = all; D always sees every fake).
   */
  step(b: Batch, topK = 1): StepStats {
    const g = this.gStep(b, topK);
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

/**
 * tfjs's optimizers keep their rate in a protected field that every update reads; this is the one
 * place that reaches it (the public API has no setter).
 */
function learningRate(o: tf.Optimizer): { value: number } {
  const opt = o as unknown as { learningRate: unknown };
  if (typeof opt.learningRate !== 'number') throw new Error(`${o.getClassName()} has no learning rate field`);
  return {
    get value() {
      return opt.learningRate as number;
    },
    set value(v: number) {
      opt.learningRate = v;
    },
  };
}

/** What createGan needs of a run's recipe (a TrainConfig has it all). */
export interface GanRecipe {
  lr: number;
  beta1: number;
  /** D's learning rate; null or absent = lr. */
  lrD?: number | null;
  dWidth?: number;
  modeSeeking?: number;
  r1Gamma?: number;
}

/** Builds a preset's two networks (weights from `seeds`) and their two Adam optimizers. */
export function createGan(preset: Preset, seeds: Seeds, recipe: GanRecipe): GanTrainer {
  return new GanTrainer(
    preset.generator(seeds),
    preset.discriminator(seeds, recipe.dWidth ?? 1),
    tf.train.adam(recipe.lr, recipe.beta1),
    tf.train.adam(recipe.lrD ?? recipe.lr, recipe.beta1),
    preset.classes,
    recipe.modeSeeking ?? 0,
    recipe.r1Gamma ?? 0,
  );
}

/** The parts of a trainer a checkpoint holds. */
export const trainingState = (g: GanTrainer) => ({
  generator: g.generator,
  discriminator: g.discriminator,
  gOptimizer: g.gOptimizer,
  dOptimizer: g.dOptimizer,
});
