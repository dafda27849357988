// The GAN step on the wasm backend with the project's kernels, on real MNIST digits.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { loadMnist, type MnistSplit, PIXELS } from '../../train/data/mnist.ts';
import { type Batch, GanTrainer } from '../../train/gan.ts';
import { getPreset, type Preset, type PresetName } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

let mnist: MnistSplit;
beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  mnist = loadMnist('test');
});

function setup(name: PresetName, seed = 1) {
  const preset = getPreset(name);
  const rng = new Rng(seed);
  const seeds = { next: () => rng.seed() };
  const trainer = new GanTrainer(
    preset.generator(seeds),
    preset.discriminator(seeds),
    tf.train.adam(2e-4, 0.5),
    tf.train.adam(2e-4, 0.5),
    preset.classes,
  );
  return { preset, rng, trainer };
}

function realBatch(preset: Preset, rng: Rng, size: number): Batch {
  const real = new Float32Array(size * PIXELS);
  const labels: number[] = [];
  for (let i = 0; i < size; i++) {
    const k = rng.int(mnist.count);
    real.set(mnist.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels.push(mnist.labels[k]);
  }
  const cond = preset.classes > 0;
  return {
    real: tf.tensor4d(real, [size, 28, 28, 1]),
    realLabels: cond ? tf.tensor2d(labels, [size, 1]) : null,
    noise: tf.tensor2d(rng.normals(size * preset.latentDim), [size, preset.latentDim]),
    fakeLabels: cond
      ? tf.tensor2d(
          labels.map(() => rng.int(10)),
          [size, 1],
        )
      : null,
  };
}
const disposeBatch = (b: Batch) =>
  tf.dispose([b.real, b.realLabels, b.noise, b.fakeLabels].filter((t) => t !== null));
const snapshot = (vars: tf.Variable[]) => vars.map((v) => v.dataSync<'float32'>().slice());
const changed = (before: Float32Array[], vars: tf.Variable[]) =>
  vars.map((v, i) => v.dataSync().some((x, j) => x !== before[i][j]));

describe.each(['tutorial', 'fast', 'fast-cond'] as const)('GAN step, %s preset', (name) => {
  it('keeps tf.memory().numTensors flat over 22 steps', () => {
    const { preset, rng, trainer } = setup(name);
    const counts: number[] = [];
    for (let i = 0; i < 22; i++) {
      const b = realBatch(preset, rng, 4);
      const s = trainer.step(b);
      disposeBatch(b);
      expect(Number.isFinite(s.dLoss) && Number.isFinite(s.gLoss)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    // Adam creates its moment variables on the first step; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('G step updates only G, D step updates only D', () => {
    const { preset, rng, trainer } = setup(name);
    const b = realBatch(preset, rng, 4);
    let g0 = snapshot(trainer.gVars);
    let d0 = snapshot(trainer.dVars);
    const g = trainer.gStep(b);
    expect(changed(d0, trainer.dVars).some(Boolean)).toBe(false);
    expect(changed(g0, trainer.gVars).every(Boolean)).toBe(true);
    g0 = snapshot(trainer.gVars);
    d0 = snapshot(trainer.dVars);
    tf.dispose(trainer.dStep(b, g.fake));
    expect(changed(g0, trainer.gVars).some(Boolean)).toBe(false);
    expect(changed(d0, trainer.dVars).every(Boolean)).toBe(true);
    tf.dispose([g.loss, g.fake]);
    disposeBatch(b);
  });
});

describe('the objective', () => {
  // `fast` has no dropout and no BatchNorm in D, so D's outputs can be recomputed exactly.
  it('G: softplus(-D(G(z))) (non-saturating); D: softplus(-D(x)) + softplus(D(G(z)))', () => {
    const { preset, rng, trainer } = setup('fast');
    const b = realBatch(preset, rng, 8);
    const logits = (x: tf.Tensor) => trainer.discriminator.apply(x, { training: true }) as tf.Tensor;
    const fake0 = trainer.generator.apply(b.noise, { training: true }) as tf.Tensor;
    const expectedG = tf.tidy(() => tf.mean(tf.softplus(tf.neg(logits(fake0)))).dataSync()[0]);
    const g = trainer.gStep(b);
    expect(g.loss.dataSync()[0]).toBeCloseTo(expectedG, 5);
    // D trains on the fakes of that same forward pass (G before its update).
    expect(tf.max(tf.abs(tf.sub(g.fake, fake0))).dataSync()[0]).toBe(0);
    const expectedD = tf.tidy(
      () =>
        tf
          .add(tf.mean(tf.softplus(tf.neg(logits(b.real)))), tf.mean(tf.softplus(logits(g.fake))))
          .dataSync()[0],
    );
    const d = trainer.dStep(b, g.fake);
    const [dLoss, dReal, dFake] = d.dataSync();
    expect(dLoss).toBeCloseTo(expectedD, 5);
    expect(dReal).toBeGreaterThan(0);
    expect(dFake).toBeLessThan(1);
    tf.dispose([d, g.loss, g.fake, fake0]);
    disposeBatch(b);
  });

  it('conditional: D also learns the class of real digits, G the class it was asked for', () => {
    const { preset, rng, trainer } = setup('fast-cond');
    const b = realBatch(preset, rng, 8);
    const ce = (labels: tf.Tensor, logits: tf.Tensor) =>
      tf.mean(
        tf.neg(
          tf.sum(tf.mul(tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), 10), tf.logSoftmax(logits)), 1),
        ),
      );
    const fake = trainer.generator.apply([b.noise, b.fakeLabels!], { training: true }) as tf.Tensor;
    const expectedG = tf.tidy(() => {
      const [adv, cls] = trainer.discriminator.apply(fake, { training: true }) as tf.Tensor[];
      return tf.add(tf.mean(tf.softplus(tf.neg(adv))), ce(b.fakeLabels!, cls)).dataSync()[0];
    });
    const g = trainer.gStep(b);
    expect(g.loss.dataSync()[0]).toBeCloseTo(expectedG, 4);
    const expectedD = tf.tidy(() => {
      const [adv, cls] = trainer.discriminator.apply(b.real, { training: true }) as tf.Tensor[];
      const [fakeAdv] = trainer.discriminator.apply(g.fake, { training: true }) as tf.Tensor[];
      return tf
        .addN([tf.mean(tf.softplus(tf.neg(adv))), tf.mean(tf.softplus(fakeAdv)), ce(b.realLabels!, cls)])
        .dataSync()[0];
    });
    const d = trainer.dStep(b, g.fake);
    expect(d.dataSync()[0]).toBeCloseTo(expectedD, 4);
    tf.dispose([d, g.loss, g.fake, fake]);
    disposeBatch(b);
  });
});

describe('determinism', () => {
  it('same seed, same backend: identical weights after 3 steps; another seed differs', () => {
    const run = (seed: number) => {
      const { preset, rng, trainer } = setup('fast-cond', seed);
      for (let i = 0; i < 3; i++) {
        const b = realBatch(preset, rng, 4);
        trainer.step(b);
        disposeBatch(b);
      }
      return trainer.generator.getWeights().map((w) => Array.from(w.dataSync()));
    };
    const a = run(5);
    expect(run(5)).toEqual(a);
    expect(run(6)).not.toEqual(a);
  });
});
