// The R1 penalty: its second-order gradient is right, it touches D only, and it leaks nothing.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist, type MnistSplit } from '../../train/data/mnist.ts';
import { createGan, variablesOf } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { r1Penalty } from '../../train/r1.ts';
import { Rng } from '../../train/rng.ts';

let mnist: MnistSplit;
beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  mnist = loadMnist('test');
});
const preset = getPreset('fast-cond');
const seeds = (seed: number) => {
  const r = new Rng(seed);
  return { next: () => r.seed() };
};

describe('r1Penalty', () => {
  it('is γ/2 · mean ‖∇ₓD‖², and its gradient in D’s weights matches finite differences', () => {
    const D = preset.discriminator(seeds(1), 1);
    const b = new Batches(mnist, preset, 8, 1).batch(0, new Rng(1));
    const judge = (x: tf.Tensor4D) => D.apply([x, b.realLabels!], { training: true }) as tf.Tensor;
    const penalty = () => r1Penalty(judge, b.real, 10);

    // The value, from the input gradient taken by hand.
    const gradX = tf.grad((x: tf.Tensor) => tf.sum(judge(x as tf.Tensor4D)))(b.real);
    const byHand = (10 / 2) * tf.mean(tf.sum(tf.square(gradX), [1, 2, 3])).dataSync()[0];
    expect(penalty().dataSync()[0]).toBeCloseTo(byHand, 5);
    expect(byHand).toBeGreaterThan(0);

    // Second order: d penalty / dθ against central differences. LeakyReLU makes the penalty jump
    // where a unit changes side, so compare on the weights after the last nonlinearity (the
    // projection and the output layer), where it is smooth in θ.
    const { grads } = tf.variableGrads(penalty, variablesOf(D));
    for (const v of variablesOf(D).filter((w) => /embedding|adversarial\/kernel/.test(w.name))) {
      const g = grads[v.name].dataSync<'float32'>();
      const i = g.reduce((best, x, k) => (Math.abs(x) > Math.abs(g[best]) ? k : best), 0);
      const base = v.dataSync().slice();
      const at = (d: number) => {
        const w = base.slice();
        w[i] += d;
        v.assign(tf.tensor(w, v.shape));
        return tf.tidy(() => penalty().dataSync()[0]);
      };
      const numeric = (at(1e-3) - at(-1e-3)) / 2e-3;
      v.assign(tf.tensor(base, v.shape));
      expect(Math.abs(g[i])).toBeGreaterThan(1e-3);
      expect(Math.abs(numeric - g[i]) / Math.abs(g[i])).toBeLessThan(0.01);
    }
    // Every conv weight gets a gradient through the backward pass (the biases do only via kinks).
    for (const name of ['conv2d_Conv2D1/kernel', 'conv2d_Conv2D2/kernel']) {
      const key = Object.keys(grads).find((k) => k.endsWith(name.split('_')[1]));
      expect(key).toBeDefined();
      expect(tf.norm(grads[key!]).dataSync()[0]).toBeGreaterThan(0);
    }
    disposeBatch(b);
    D.dispose();
  });
});

describe('a GAN step with R1', () => {
  it('changes D’s update only, and keeps tf.memory().numTensors flat', () => {
    const plain = createGan(preset, seeds(2), { lr: 2e-4, beta1: 0.5 });
    const r1 = createGan(preset, seeds(2), { lr: 2e-4, beta1: 0.5, r1Gamma: 10 });
    const batches = new Batches(mnist, preset, 8, 1);
    const counts: number[] = [];
    for (let step = 0; step < 6; step++) {
      for (const gan of [plain, r1]) {
        const b = batches.batch(step, new Rng(step));
        gan.step(b);
        disposeBatch(b);
      }
      counts.push(tf.memory().numTensors);
      if (step === 0) {
        // One simultaneous step: G learned against the same D in both, so only D differs.
        const same = (a: tf.Variable[], c: tf.Variable[]) =>
          tf.tidy(() => a.every((v, i) => tf.all(tf.equal(v, c[i])).dataSync()[0] === 1));
        expect(same(plain.gVars, r1.gVars)).toBe(true);
        expect(same(plain.dVars, r1.dVars)).toBe(false);
      }
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    plain.dispose();
    r1.dispose();
  });
});
