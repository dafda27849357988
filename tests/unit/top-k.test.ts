// Top-k training (train/top-k.ts): the schedule of the share kept, the loss on the k best-scored
// fakes and where its gradient goes, and the GAN step that uses it (wasm backend, real digits).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { trainConfigSchema } from '../../train/config.ts';
import { loadMnist, type MnistSplit } from '../../train/data/mnist.ts';
import { createGan } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { topKCount, topKNonSaturatingLoss, topKShare } from '../../train/top-k.ts';

let mnist: MnistSplit;
beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  mnist = loadMnist('test');
});

const softplus = (x: number) => Math.log1p(Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('the share kept', () => {
  it('is the whole batch for the first epoch, then shrinks by the decay each epoch down to the floor', () => {
    const share = (step: number) => topKShare(step, 100, 0.5, 0.9);
    expect([0, 99].map(share)).toEqual([1, 1]);
    expect(share(100)).toBeCloseTo(0.9, 12);
    expect(share(250)).toBeCloseTo(0.81, 12);
    expect(share(699)).toBeCloseTo(0.9 ** 6, 12); // 0.531
    expect(share(700)).toBe(0.5); // 0.9^7 = 0.478 is below the floor
    expect(share(1_000_000)).toBe(0.5);
    // The paper's recipe: 0.99 per epoch.
    expect(topKShare(937 * 30, 937, 0.5, 0.99)).toBeCloseTo(0.99 ** 30, 12);
    // Off: always everything.
    expect(topKShare(1_000_000, 100, null, 0.5)).toBe(1);
  });

  it('counts at least one fake, rounded to the nearest', () => {
    expect(topKCount(1, 64)).toBe(64);
    expect(topKCount(0.99, 64)).toBe(63);
    expect(topKCount(0.5, 64)).toBe(32);
    expect(topKCount(0.5, 32)).toBe(16); // each of 2 threads: 16 of its 32, 32 of 64 in all
    expect(topKCount(0.01, 8)).toBe(1);
  });

  it('a run config from before top-k, the EMA half-life, the schedule and the restart runs as it did', () => {
    const old = {
      preset: 'fast-cond',
      steps: 10,
      epochs: null,
      maxMinutes: null,
      batchSize: 64,
      lr: 2e-4,
      beta1: 0.5,
      seed: 1,
      out: 'runs/x',
      resume: false,
      backend: 'wasm',
      requireGpu: false,
      logEvery: 50,
      sampleEvery: 500,
      checkpointEvery: 500,
      trainDigits: null,
      r1Gamma: 1,
      ema: true,
      annealFrom: 5,
    };
    expect(trainConfigSchema.parse(old)).toMatchObject({
      topKMin: null,
      topKDecay: 0.99,
      emaHalfLifeSteps: null,
      lrSchedule: 'linear',
      annealRestart: null,
    });
  });
});

describe('G’s loss on the k best-scored fakes', () => {
  const logits = [0.3, -1.2, 2.0, 0.5, -0.1, 1.1];

  it('is the mean non-saturating loss of the k highest logits; its gradient reaches only those', () => {
    const x = tf.tensor2d(logits, [6, 1]);
    const loss = topKNonSaturatingLoss(x, 3);
    const kept = [2.0, 1.1, 0.5];
    expect(loss.dataSync()[0]).toBeCloseTo(kept.reduce((s, l) => s + softplus(-l), 0) / 3, 6);
    const grad = tf
      .grad((t: tf.Tensor) => topKNonSaturatingLoss(t, 3))(x)
      .dataSync();
    logits.forEach((l, i) => {
      if (kept.includes(l)) expect(grad[i]).toBeCloseTo(-sigmoid(-l) / 3, 6);
      else expect(grad[i] === 0).toBe(true); // ±0
    });
    tf.dispose([x, loss]);
  });

  it('with k = n it is the plain non-saturating loss, value and gradient', () => {
    const x = tf.tensor2d(logits, [6, 1]);
    const plain = (t: tf.Tensor) => tf.losses.sigmoidCrossEntropy(tf.onesLike(t), t) as tf.Scalar;
    expect(topKNonSaturatingLoss(x, 6).dataSync()[0]).toBeCloseTo(plain(x).dataSync()[0], 6);
    const a = tf
      .grad((t: tf.Tensor) => topKNonSaturatingLoss(t, 6))(x)
      .dataSync();
    const b = tf.grad(plain)(x).dataSync();
    a.forEach((v, i) => {
      expect(v).toBeCloseTo(b[i], 6);
    });
    x.dispose();
  });

  it('refuses a k outside 1..n', () => {
    const x = tf.tensor2d(logits, [6, 1]);
    expect(() => topKNonSaturatingLoss(x, 0)).toThrow('top-k: k must be 1 to 6, got 0');
    expect(() => topKNonSaturatingLoss(x, 7)).toThrow('top-k: k must be 1 to 6, got 7');
    x.dispose();
  });

  it('through a discriminator that judges each image alone: the other fakes get exactly zero gradient', () => {
    // `tutorial`'s D has no batch coupling (no minibatch-stddev), so a fake outside the k best
    // cannot influence the loss at all.
    const preset = getPreset('tutorial');
    const rng = new Rng(3);
    const gan = createGan(preset, { next: () => rng.seed() }, { lr: 2e-4, beta1: 0.5 });
    const b = new Batches(mnist, preset, 8, 3).batch(0, rng);
    const fakes = gan.generate(b);
    const judge = (x: tf.Tensor) => gan.discriminator.apply(x, { training: false }) as tf.Tensor;
    const grad = tf.grad((x: tf.Tensor) => topKNonSaturatingLoss(judge(x), 3))(fakes);
    const rowNorms = tf.tidy(() => tf.sum(tf.abs(grad), [1, 2, 3]).dataSync());
    const order = Array.from(judge(fakes).dataSync())
      .map((l, i) => [l, i])
      .sort((p, q) => q[0] - p[0])
      .map(([, i]) => i);
    for (const i of order.slice(0, 3)) expect(rowNorms[i]).toBeGreaterThan(0);
    for (const i of order.slice(3)) expect(rowNorms[i] === 0).toBe(true);
    tf.dispose([fakes, grad]);
    disposeBatch(b);
    gan.dispose();
  });
});

describe('the GAN step with top-k', () => {
  it('G’s gradient is that of the loss on the selected fakes only; D still learns from every fake', () => {
    // `fast-cond`: BatchNorm in G and minibatch-stddev in D couple the rows, so the reference is
    // the whole graph with a fixed 0/1 mask on the per-fake losses (no dropout: deterministic).
    const preset = getPreset('fast-cond');
    const make = () => {
      const r = new Rng(5);
      return createGan(preset, { next: () => r.seed() }, { lr: 2e-4, beta1: 0.5 });
    };
    const gan = make();
    const b = new Batches(mnist, preset, 8, 5).batch(0, new Rng(5));
    const forward = () => {
      const fake = gan.generator.apply([b.noise, b.fakeLabels!], { training: true }) as tf.Tensor;
      return gan.discriminator.apply([fake, b.fakeLabels!], { training: true }) as tf.Tensor;
    };
    const mask = tf.tidy(() => {
      const logits = tf.reshape(forward(), [8]);
      return tf.reshape(tf.sum(tf.oneHot(tf.topk(logits, 4).indices, 8), 0), [8, 1]);
    });
    const reference = tf.variableGrads(
      () => tf.div(tf.sum(tf.mul(mask, tf.softplus(tf.neg(forward())))), 4) as tf.Scalar,
      gan.gVars,
    );
    const topK = gan.gradients(b, 0.5);
    const all = gan.gradients(b, 1);
    const flat = (m: tf.NamedTensorMap) => gan.gVars.flatMap((v) => Array.from(m[v.name].dataSync()));
    const [ref, got, full] = [flat(reference.grads), flat(topK.g), flat(all.g)];
    const maxAbs = (xs: number[]) => xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = maxAbs(ref);
    expect(maxAbs(got.map((v, i) => v - ref[i]))).toBeLessThan(1e-5 * scale);
    expect(maxAbs(full.map((v, i) => v - ref[i]))).toBeGreaterThan(1e-2 * scale);
    // D's gradients do not depend on top-k.
    const dOf = (m: tf.NamedTensorMap) => gan.dVars.flatMap((v) => Array.from(m[v.name].dataSync()));
    expect(dOf(topK.d)).toEqual(dOf(all.d));
    tf.dispose([mask, reference.value, ...Object.values(reference.grads)]);
    for (const r of [topK, all]) tf.dispose([...Object.values(r.g), ...Object.values(r.d), r.stats]);
    disposeBatch(b);
    gan.dispose();
  });

  it('keeps tf.memory().numTensors flat over steps with top-k, in step() and in gradients()', () => {
    const preset = getPreset('fast-cond');
    const r = new Rng(8);
    const gan = createGan(preset, { next: () => r.seed() }, { lr: 2e-4, beta1: 0.5, r1Gamma: 1 });
    const batches = new Batches(mnist, preset, 8, 8);
    const counts: number[] = [];
    for (let s = 0; s < 6; s++) {
      const b = batches.batch(s, r);
      if (s % 2) {
        const g = gan.gradients(b, 0.5);
        gan.applyGradients(g.g, g.d);
        tf.dispose([...Object.values(g.g), ...Object.values(g.d), g.stats]);
      } else gan.step(b, 0.5);
      disposeBatch(b);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    gan.dispose();
  });

  it('a share of 1 is the step without top-k, bit for bit', () => {
    const preset = getPreset('fast-cond');
    const run = (topK?: number) => {
      const r = new Rng(7);
      const gan = createGan(preset, { next: () => r.seed() }, { lr: 2e-4, beta1: 0.5 });
      const batches = new Batches(mnist, preset, 8, 7);
      for (let s = 0; s < 2; s++) {
        const b = batches.batch(s, r);
        if (topK === undefined) gan.step(b);
        else gan.step(b, topK);
        disposeBatch(b);
      }
      const w = gan.generator.getWeights().flatMap((t) => Array.from(t.dataSync()));
      gan.dispose();
      return w;
    };
    const plain = run();
    expect(run(1)).toEqual(plain);
    expect(run(0.5)).not.toEqual(plain);
  });
});
