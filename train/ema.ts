import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * The generator's exponential moving average (Yazici et al. 2019, "The Unusual Effectiveness of
 * Averaging in GAN Training"): samples, evaluation and export use it. The decay ramps up with the
 * images seen, as in StyleGAN2-ADA: β = 0.5^(batch / min(10k·batch/32, 0.05·images)), so early
 * on it follows G closely and later averages over a half-life of 10k·batch/32 images (312 steps
 * at batch 64). `halfLifeSteps` sets a longer (or shorter) final half-life, reached by the same
 * ramp (at 20 × that many steps). BatchNorm's moving statistics are not weights to average: they
 * are copied.
 */
export function emaBeta(step: number, batchSize: number, halfLifeSteps: number | null = null): number {
  const finalImages = halfLifeSteps === null ? (10_000 * batchSize) / 32 : halfLifeSteps * batchSize;
  const halfLifeImages = Math.min(finalImages, step * batchSize * 0.05);
  return halfLifeImages > 0 ? 0.5 ** (batchSize / halfLifeImages) : 0;
}

export class GeneratorEma {
  private readonly pairs: Array<{ ema: tf.Variable; source: tf.Variable; trainable: boolean }>;

  /** `model` is a second instance of G's architecture; it starts as a copy of `source`. */
  constructor(
    readonly model: LayersModel,
    source: LayersModel,
  ) {
    const trainable = new Set(source.trainableWeights.map((w) => w.read().id));
    const mine = model.weights.map((w) => w.read() as tf.Variable);
    const theirs = source.weights.map((w) => w.read() as tf.Variable);
    if (mine.length !== theirs.length) throw new Error('EMA: the two generators differ in architecture');
    this.pairs = mine.map((ema, i) => ({ ema, source: theirs[i], trainable: trainable.has(theirs[i].id) }));
    this.copyFrom();
  }

  copyFrom(): void {
    for (const p of this.pairs) p.ema.assign(p.source);
  }

  /** Call after the optimizer step that made `step` steps. */
  update(step: number, batchSize: number, halfLifeSteps: number | null = null): void {
    const beta = emaBeta(step, batchSize, halfLifeSteps);
    tf.tidy(() => {
      for (const p of this.pairs) {
        // ema ← w + β (ema − w)
        p.ema.assign(p.trainable ? tf.add(p.source, tf.mul(tf.sub(p.ema, p.source), beta)) : p.source);
      }
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
