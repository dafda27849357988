// A discriminator fitted to a finished generator: G stays fixed and D alone learns real digits from
// G's fakes, with the objective D trained under (non-saturating cross-entropy, R1 on real digits).
// An exported model holds no D, and the D a run ends with was kept in step with a moving G; rejection
// sampling wants D's estimate of p_data / p_G for this G (Azadi et al. 2019 also train D on after G stops).
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import type { Preset } from '../../train/models/presets.ts';
import { r1Penalty } from '../../train/r1.ts';
import { Rng } from '../../train/rng.ts';
import { drawDigits } from './sampler.ts';

export interface FitOptions {
  steps: number;
  /** Real digits and as many fakes per step; D judges each kind in a batch of its own, as in training. */
  batch: number;
  seed: number;
  lr: number;
  r1Gamma: number;
  /** D's channel multiplier (1 = the preset's D). */
  width: number;
  /**
   * Start from this D's weights (e.g. a run's D, which already knows digits' strokes) rather than
   * from scratch: against a finished G a new D stays near chance for thousands of steps.
   */
  from?: LayersModel;
  /** Called every `every` steps with the step and the running means of D(x) and D(G(z)). */
  progress?: (p: { step: number; steps: number; dReal: number; dFake: number; loss: number }) => void;
  every?: number;
}

/**
 * Trains a new D of the preset's architecture on MNIST training digits against G's fakes (G in
 * inference mode, every class equally likely). Only the MNIST test digits stay unseen, for the
 * calibration that follows. Returns D; the caller disposes it.
 */
export function fitDiscriminator(generator: LayersModel, preset: Preset, o: FitOptions): LayersModel {
  const data = loadMnist('train');
  const rng = new Rng(`${o.seed}/drs/fit`);
  let i = 0;
  const discriminator = preset.discriminator({ next: () => o.seed * 1000 + i++ }, o.width);
  if (o.from) {
    const shapes = (m: LayersModel) => m.weights.map((w) => w.shape.join('x')).join();
    if (shapes(o.from) !== shapes(discriminator)) {
      discriminator.dispose();
      throw new Error(`the D to start from is not a ${preset.name} discriminator of width ${o.width}`);
    }
    discriminator.setWeights(o.from.getWeights());
  }
  const vars = discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(o.lr, 0.5);
  const judge = (x: tf.Tensor4D, labels: tf.Tensor2D | null) =>
    discriminator.apply(labels ? [x, labels] : x, { training: true }) as tf.Tensor;
  const every = o.every ?? 50;
  let sums = [0, 0, 0];
  try {
    for (let step = 1; step <= o.steps; step++) {
      const idx = Array.from({ length: o.batch }, () => Math.floor(rng.uniform() * data.count));
      const realImages = new Float32Array(o.batch * PIXELS);
      idx.forEach((k, j) => {
        realImages.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), j * PIXELS);
      });
      const fakeClasses = Int32Array.from({ length: o.batch }, () =>
        Math.floor(rng.uniform() * Math.max(preset.classes, 1)),
      );
      const fakeImages = drawDigits(generator, preset, fakeClasses, rng);
      const stats = tf.tidy(() => {
        const real = tf.tensor4d(realImages, [o.batch, 28, 28, 1]);
        const fake = tf.tensor4d(fakeImages, [o.batch, 28, 28, 1]);
        const conditional = preset.classes > 0;
        const realLabels = conditional
          ? tf.tensor2d(
              idx.map((k) => data.labels[k]),
              [o.batch, 1],
            )
          : null;
        const fakeLabels = conditional ? tf.tensor2d(Array.from(fakeClasses), [o.batch, 1]) : null;
        let dReal: tf.Scalar | undefined;
        let dFake: tf.Scalar | undefined;
        const loss = optimizer.minimize(
          () => {
            const r = judge(real, realLabels);
            const f = judge(fake, fakeLabels);
            dReal = tf.keep(tf.mean(tf.sigmoid(r)) as tf.Scalar);
            dFake = tf.keep(tf.mean(tf.sigmoid(f)) as tf.Scalar);
            let l = tf.add(
              tf.losses.sigmoidCrossEntropy(tf.onesLike(r), r),
              tf.losses.sigmoidCrossEntropy(tf.zerosLike(f), f),
            ) as tf.Scalar;
            if (o.r1Gamma > 0)
              l = tf.add(
                l,
                r1Penalty((x) => judge(x, realLabels), real, o.r1Gamma),
              );
            return l;
          },
          true,
          vars,
        )!;
        const out = tf.stack([loss, dReal!, dFake!]).dataSync();
        tf.dispose([dReal!, dFake!]);
        return out;
      });
      sums = [sums[0] + stats[0], sums[1] + stats[1], sums[2] + stats[2]];
      if (step % every === 0 || step === o.steps) {
        const n = step % every || every;
        o.progress?.({ step, steps: o.steps, loss: sums[0] / n, dReal: sums[1] / n, dFake: sums[2] / n });
        sums = [0, 0, 0];
      }
    }
    if (!discriminator.weights.every((w) => tf.tidy(() => tf.all(tf.isFinite(w.read())).dataSync()[0] === 1)))
      throw new Error('fitting D diverged (a weight is not finite): lower --fit-lr');
    return discriminator;
  } catch (e) {
    discriminator.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}
