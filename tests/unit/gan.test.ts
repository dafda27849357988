// The GAN step on the wasm backend with the project's kernels, on real MNIST digits.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist, type MnistSplit } from '../../train/data/mnist.ts';
import { type Batch, createGan } from '../../train/gan.ts';
import { getPreset, type PresetName } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

let mnist: MnistSplit;
beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  mnist = loadMnist('test');
});

/** A GAN and the real batching code over the test digits, small batches. */
function setup(name: PresetName, seed = 1, batchSize = 4) {
  const preset = getPreset(name);
  const rng = new Rng(seed);
  const trainer = createGan(preset, { next: () => rng.seed() }, { lr: 2e-4, beta1: 0.5 });
  const batches = new Batches(mnist, preset, batchSize, seed);
  let step = 0;
  const next = (): Batch => batches.batch(step++, rng);
  return { preset, rng, trainer, next };
}
const snapshot = (vars: tf.Variable[]) => vars.map((v) => v.dataSync<'float32'>().slice());
const changed = (before: Float32Array[], vars: tf.Variable[]) =>
  vars.map((v, i) => v.dataSync().some((x, j) => x !== before[i][j]));

describe('learning-rate scale (annealing)', () => {
  it('scale 0 leaves every trainable weight of both nets where it was; scale 1 moves them again', () => {
    const { trainer, next } = setup('fast-cond');
    const vars = [...trainer.gVars, ...trainer.dVars];
    const stepWith = (scale: number) => {
      trainer.setLrScale(scale);
      const before = snapshot(vars);
      const b = next();
      tf.dispose(Object.values(trainer.step(b)).filter((x) => x instanceof tf.Tensor));
      disposeBatch(b);
      return changed(before, vars);
    };
    stepWith(1); // Adam's first step differs in kind (zero moments); compare from the second
    expect(stepWith(0).some(Boolean)).toBe(false);
    expect(stepWith(1).every(Boolean)).toBe(true);
    trainer.dispose();
  });
});

describe.each(['tutorial', 'fast', 'fast-cond'] as const)('GAN step, %s preset', (name) => {
  it('keeps tf.memory().numTensors flat over 22 steps', () => {
    const { trainer, next } = setup(name);
    const counts: number[] = [];
    for (let i = 0; i < 22; i++) {
      const b = next();
      const s = trainer.step(b);
      disposeBatch(b);
      expect(Number.isFinite(s.dLoss) && Number.isFinite(s.gLoss)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    // Adam creates its moment variables on the first step; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('G step updates only G, D step updates only D', () => {
    const { trainer, next } = setup(name);
    const b = next();
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
  // `fast` has no dropout and no BatchNorm in D, so D's outputs can be recomputed exactly (its
  // minibatch-stddev feature depends only on the batch, which is the same).
  it('G: softplus(-D(G(z))) (non-saturating); D: softplus(-D(x)) + softplus(D(G(z)))', () => {
    const { trainer, next } = setup('fast', 1, 8);
    const b = next();
    const logits = (x: tf.Tensor) => trainer.discriminator.apply(x, { training: true }) as tf.Tensor;
    const fake0 = trainer.generator.apply(b.noise, { training: true }) as tf.Tensor;
    const expectedG = tf.tidy(() => tf.mean(tf.softplus(tf.neg(logits(fake0)))).dataSync()[0]);
    const g = trainer.gStep(b);
    expect(g.loss.dataSync()[0]).toBeCloseTo(expectedG, 5);
    // D trains on the fakes of that same forward pass (G before its update).
    expect(tf.max(tf.abs(tf.sub(g.fake, fake0))).dataSync()[0]).toBe(0);
    const realLogits = logits(b.real);
    const fakeLogits = logits(g.fake);
    const expectedD = tf
      .add(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits)))
      .dataSync()[0];
    const d = trainer.dStep(b, g.fake);
    const [dLoss, dReal, dFake] = d.dataSync();
    expect(dLoss).toBeCloseTo(expectedD, 5);
    // The reported D(x) and D(G(z)) are D's mean probabilities before its update.
    expect(dReal).toBeCloseTo(tf.mean(tf.sigmoid(realLogits)).dataSync()[0], 5);
    expect(dFake).toBeCloseTo(tf.mean(tf.sigmoid(fakeLogits)).dataSync()[0], 5);
    tf.dispose([d, g.loss, g.fake, fake0, realLogits, fakeLogits]);
    disposeBatch(b);
  });

  it('conditional: D judges each image with its class (real labels, requested classes)', () => {
    const { trainer, next } = setup('fast-cond', 1, 8);
    const b = next();
    const d = (x: tf.Tensor, y: tf.Tensor) =>
      trainer.discriminator.apply([x, y], { training: true }) as tf.Tensor;
    const fake = trainer.generator.apply([b.noise, b.fakeLabels!], { training: true }) as tf.Tensor;
    const expectedG = tf.tidy(() => tf.mean(tf.softplus(tf.neg(d(fake, b.fakeLabels!)))).dataSync()[0]);
    // The class matters to D: the same fakes judged as another class score differently.
    const shifted = tf.tidy(() => tf.mod(tf.add(b.fakeLabels!, 1), 10));
    const other = tf.tidy(() => tf.mean(tf.softplus(tf.neg(d(fake, shifted)))).dataSync()[0]);
    expect(Math.abs(other - expectedG)).toBeGreaterThan(1e-6);
    const g = trainer.gStep(b);
    expect(g.loss.dataSync()[0]).toBeCloseTo(expectedG, 5);
    const expectedD = tf.tidy(
      () =>
        tf
          .add(
            tf.mean(tf.softplus(tf.neg(d(b.real, b.realLabels!)))),
            tf.mean(tf.softplus(d(g.fake, b.fakeLabels!))),
          )
          .dataSync()[0],
    );
    const dl = trainer.dStep(b, g.fake);
    expect(dl.dataSync()[0]).toBeCloseTo(expectedD, 5);
    tf.dispose([dl, g.loss, g.fake, fake, shifted]);
    disposeBatch(b);
  });
});

describe('determinism', () => {
  it('same seed, same backend: identical weights after 3 steps; another seed differs', () => {
    const run = (seed: number) => {
      const { trainer, next } = setup('fast-cond', seed);
      for (let i = 0; i < 3; i++) {
        const b = next();
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

describe('gradients() + applyGradients(): the step data-parallel replicas take', () => {
  it('equals step() bit for bit on the same batch', () => {
    const a = setup('fast-cond', 5, 8);
    const b = setup('fast-cond', 5, 8);
    for (let i = 0; i < 3; i++) {
      const ba = a.next();
      const bb = b.next();
      const sa = a.trainer.step(ba);
      const { g, d, stats } = b.trainer.gradients(bb);
      b.trainer.applyGradients(g, d);
      const sb = stats.dataSync();
      tf.dispose([...Object.values(g), ...Object.values(d), stats]);
      disposeBatch(ba);
      disposeBatch(bb);
      expect([sa.dLoss, sa.gLoss, sa.dReal, sa.dFake]).toEqual(Array.from(sb));
    }
    expect(snapshot(b.trainer.gVars)).toEqual(snapshot(a.trainer.gVars));
    expect(snapshot(b.trainer.dVars)).toEqual(snapshot(a.trainer.dVars));
  });
});

describe('mode seeking (MSGAN)', () => {
  it('pairs rows (2k, 2k+1) on one class, and adds λ / (image gap / noise gap) to G’s loss', () => {
    const preset = getPreset('fast-cond');
    const batches = new Batches(mnist, preset, 8, 1, null, true);
    const rng = new Rng(1);
    const batch = batches.batch(0, rng);
    const classes = batch.fakeLabels!.dataSync();
    for (let k = 0; k < 8; k += 2) expect(classes[k + 1]).toBe(classes[k]);
    const seeds = () => {
      const r = new Rng(2);
      return { next: () => r.seed() };
    };
    const plain = createGan(preset, seeds(), { lr: 2e-4, beta1: 0.5 });
    const ms = createGan(preset, seeds(), { lr: 2e-4, beta1: 0.5, modeSeeking: 0.5 });
    const lossOf = (t: typeof plain) =>
      tf.tidy(() => {
        const r = t.generatorLoss(batch);
        const pair = (x: tf.Tensor) => {
          const [p, q] = tf.split(tf.reshape(x, [4, 2, -1]), 2, 1);
          return tf.mean(tf.abs(tf.sub(p, q))).dataSync()[0];
        };
        return { loss: r.loss.dataSync()[0], ratio: pair(r.fake) / pair(batch.noise) };
      });
    const a = lossOf(plain);
    const b = lossOf(ms);
    expect(b.ratio).toBeCloseTo(a.ratio, 5); // the same G
    expect(b.loss - a.loss).toBeCloseTo(0.5 / (a.ratio + 1e-5), 3);
    disposeBatch(batch);
    plain.dispose();
    ms.dispose();
  });
});

describe('batches', () => {
  it('each epoch visits every digit once, in an order fixed by (seed, epoch)', () => {
    const preset = getPreset('fast-cond');
    const a = new Batches(mnist, preset, 64, 3, 1000);
    expect(a.count).toBe(1000);
    expect(a.stepsPerEpoch).toBe(15); // the last partial batch is dropped
    const epoch = (b: Batches, e: number) =>
      Array.from({ length: b.stepsPerEpoch }, (_, i) =>
        Array.from(b.indices(e * b.stepsPerEpoch + i)),
      ).flat();
    const e0 = epoch(a, 0);
    expect(new Set(e0).size).toBe(15 * 64);
    expect(Math.max(...e0)).toBeLessThan(1000);
    expect(epoch(a, 1)).not.toEqual(e0);
    // A new instance (a resumed run) sees the same order, even jumping straight to epoch 1.
    const b = new Batches(mnist, preset, 64, 3, 1000);
    expect(epoch(b, 1)).toEqual(epoch(a, 1));
    expect(epoch(new Batches(mnist, preset, 64, 4, 1000), 0)).not.toEqual(e0);
  });

  it('carries the real digits and their labels', () => {
    const preset = getPreset('fast-cond');
    const batches = new Batches(mnist, preset, 8, 1);
    const b = batches.batch(0, new Rng(1));
    const idx = batches.indices(0);
    expect(Array.from(b.realLabels!.dataSync())).toEqual(Array.from(idx, (i) => mnist.labels[i]));
    expect(Array.from(b.real.dataSync().subarray(784, 2 * 784))).toEqual(
      Array.from(mnist.images.subarray(idx[1] * 784, (idx[1] + 1) * 784)),
    );
    expect(b.noise.shape).toEqual([8, 64]);
    expect(b.fakeLabels!.shape).toEqual([8, 1]);
    disposeBatch(b);
  });
});

describe('weightsFinite (checked before every checkpoint)', () => {
  it('is false as soon as one weight of either network is NaN or infinite', () => {
    const { trainer } = setup('fast');
    expect(trainer.weightsFinite()).toBe(true);
    for (const [net, bad] of [
      [trainer.generator, Number.NaN],
      [trainer.discriminator, Number.POSITIVE_INFINITY],
    ] as const) {
      const w = net.weights[net.weights.length - 1].read() as tf.Variable;
      const saved = w.dataSync().slice();
      const poisoned = saved.slice();
      poisoned[0] = bad;
      w.assign(tf.tensor(poisoned, w.shape));
      expect(trainer.weightsFinite()).toBe(false);
      w.assign(tf.tensor(saved, w.shape));
      expect(trainer.weightsFinite()).toBe(true);
    }
    trainer.dispose();
  });
});
