// The generator's moving average: the decay schedule and the update, on the real fast-cond G.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { emaBeta, GeneratorEma } from '../../train/ema.ts';
import { getPreset } from '../../train/models/presets.ts';

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});

describe('decay schedule (StyleGAN2-ADA ramp)', () => {
  it('follows G closely at first, then has a half-life of 10k·batch/32 images', () => {
    expect(emaBeta(0, 64)).toBe(0);
    expect(emaBeta(1, 64)).toBeLessThan(1e-5); // half-life 3.2 images: a copy
    expect(emaBeta(1000, 64)).toBeCloseTo(0.5 ** (64 / 3200), 12);
    // From 6,250 steps on (batch 64) the half-life is 20,000 images = 312.5 steps.
    expect(emaBeta(6250, 64)).toBeCloseTo(0.5 ** (1 / 312.5), 12);
    expect(emaBeta(50_000, 64)).toBe(emaBeta(6250, 64));
    expect(emaBeta(50_000, 32)).toBeCloseTo(0.5 ** (32 / 10_000), 12);
  });
});

describe('GeneratorEma', () => {
  it('starts as a copy; averages trainable weights, copies BatchNorm statistics', () => {
    const preset = getPreset('fast-cond');
    let i = 0;
    const g = preset.generator({ next: () => i++ });
    const ema = new GeneratorEma(preset.generator({ next: () => 1000 + i++ }), g);
    const read = (m: typeof g) => m.weights.map((w) => w.read().dataSync<'float32'>().slice());
    expect(read(ema.model)).toEqual(read(g));

    const before = read(ema.model);
    // Move every weight of G (trainable and moving statistics) by +1.
    for (const w of g.weights) w.write(tf.tidy(() => tf.add(w.read(), 1)));
    const after = read(g);
    const step = 1000;
    const beta = emaBeta(step, 64);
    ema.update(step, 64);
    const trainable = new Set(g.trainableWeights.map((w) => w.originalName));
    read(ema.model).forEach((values, k) => {
      const name = g.weights[k].originalName;
      values.forEach((v, j) => {
        const expected = trainable.has(name)
          ? after[k][j] + beta * (before[k][j] - after[k][j])
          : after[k][j];
        expect(Math.abs(v - expected)).toBeLessThan(1e-5);
      });
    });
    // Both kinds were present.
    expect(trainable.size).toBeGreaterThan(0);
    expect(g.weights.length).toBeGreaterThan(trainable.size);
    const tensors = tf.memory().numTensors;
    ema.update(step + 1, 64);
    expect(tf.memory().numTensors).toBe(tensors);
    ema.dispose();
    g.dispose();
  });
});
