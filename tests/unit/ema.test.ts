// The generator's moving average: the decay schedule and the update, on the real fast-cond G; a
// run's --ema-half-life-steps reaches it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { emaBeta, GeneratorEma } from '../../train/ema.ts';
import { getPreset } from '../../train/models/presets.ts';
import { train } from '../../train/train.ts';
import { runConfig } from '../integration/run-config.ts';

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

  it('a longer half-life (--ema-half-life-steps) is reached by the same ramp, later', () => {
    // Unset: the StyleGAN2-ADA half-life, exactly as before the option existed.
    for (const step of [0, 1, 1000, 6250, 50_000]) expect(emaBeta(step, 64, null)).toBe(emaBeta(step, 64));
    // 1,000 steps: the ramp (0.05 · images) is the same until it reaches 1,000 · 64 images at step 20,000.
    expect(emaBeta(1000, 64, 1000)).toBe(emaBeta(1000, 64));
    expect(emaBeta(20_000, 64, 1000)).toBeCloseTo(0.5 ** (1 / 1000), 12);
    expect(emaBeta(90_000, 64, 1000)).toBe(emaBeta(20_000, 64, 1000));
    expect(emaBeta(90_000, 64, 1000)).toBeGreaterThan(emaBeta(90_000, 64));
    // Shorter than the default: reached earlier (50 · 20 = step 1,000).
    expect(emaBeta(5000, 64, 50)).toBeCloseTo(0.5 ** (1 / 50), 12);
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

describe('a run with --ema-half-life-steps', () => {
  const root = mkdtempSync(join(tmpdir(), 'ema-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('averages G with that half-life; G itself trains as without it', async () => {
    // By step 3 the default ramp is at a half-life of 0.05 · 3 steps; 0.05 steps is shorter, so it applies.
    const run = async (name: string, emaHalfLifeSteps: number | null) => {
      await train(runConfig(join(root, name), { steps: 3, emaHalfLifeSteps }), {
        log: () => {},
        isTTY: false,
      });
      const { tensors } = readCheckpoint(join(root, name))!;
      return {
        g: tensors.generator.map((t) => Array.from(t.values)),
        ema: tensors.ema!.map((t) => Array.from(t.values)),
      };
    };
    const plain = await run('plain', null);
    const short = await run('short', 0.05);
    expect(short.g).toEqual(plain.g);
    expect(short.ema).not.toEqual(plain.ema);
  });
});
