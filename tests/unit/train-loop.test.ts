// The training loop in-process: budgets, memory across the whole loop, sample grids, resume rules.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, restoreCheckpoint } from '../../train/checkpoint.ts';
import { DEFAULT_STEPS, resumedConfig, type TrainConfig, targetSteps } from '../../train/config.ts';
import { createGan } from '../../train/gan.ts';
import { readMetrics } from '../../train/metrics.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { sampleGridPng } from '../../train/samples.ts';
import { train } from '../../train/train.ts';

const root = mkdtempSync(join(tmpdir(), 'loop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (out: string, over: Partial<TrainConfig> = {}): TrainConfig => ({
  preset: 'fast-cond',
  steps: 6,
  epochs: null,
  maxMinutes: null,
  batchSize: 8,
  lr: 2e-4,
  beta1: 0.5,
  seed: 1,
  out: join(root, out),
  resume: false,
  backend: 'wasm',
  requireGpu: false,
  logEvery: 1000,
  sampleEvery: 1000,
  checkpointEvery: 1000,
  trainDigits: null,
  ...over,
});
const quiet = { log: () => {}, isTTY: false };

describe('budgets', () => {
  it('--steps, --epochs and --max-minutes: whichever comes first', () => {
    const c = config('x', { steps: null });
    expect(targetSteps(c, 100)).toBe(DEFAULT_STEPS);
    expect(targetSteps({ ...c, steps: 50 }, 100)).toBe(50);
    expect(targetSteps({ ...c, epochs: 1.5 }, 100)).toBe(150);
    expect(targetSteps({ ...c, steps: 500, epochs: 2 }, 100)).toBe(200);
    expect(targetSteps({ ...c, maxMinutes: 5 }, 100)).toBeNull();
  });

  it('--epochs over a subset of the digits', async () => {
    const r = await train(config('epochs', { steps: null, epochs: 1.5, trainDigits: 32 }), quiet);
    expect(r).toMatchObject({ status: 'finished', step: 6, target: 6 });
  });

  it('--max-minutes stops at the time limit with a checkpoint', async () => {
    const r = await train(config('minutes', { steps: null, maxMinutes: 0.002 }), quiet);
    expect(r.status).toBe('time-limit');
    expect(readCheckpoint(join(root, 'minutes'))!.state.step).toBe(r.step);
  });
});

describe('the whole loop', () => {
  it('keeps numTensors flat with samples and checkpoints every step, and frees everything at the end', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(config('memory', { steps: 8, sampleEvery: 1, checkpointEvery: 1, logEvery: 1 }), {
      ...quiet,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(counts.length).toBe(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('sample grids come from the fixed inputs in inference mode', async () => {
    const out = join(root, 'memory');
    const png = readFileSync(join(out, 'samples', 'step-000008.png'));
    const preset = getPreset('fast-cond');
    const rng = new Rng(1);
    const gan = createGan(preset, { next: () => rng.seed() }, { lr: 2e-4, beta1: 0.5 });
    await restoreCheckpoint(readCheckpoint(out)!, gan);
    expect(sampleGridPng(gan.generator, preset, 1).equals(png)).toBe(true);
    // Training-mode BatchNorm (batch statistics) would draw something else.
    const z = tf.randomNormal([80, 64]);
    const y = tf.tensor2d(
      Array.from({ length: 80 }, (_, i) => i % 10),
      [80, 1],
    );
    const inference = gan.generator.predict([z, y]) as tf.Tensor;
    const training = gan.generator.apply([z, y], { training: true }) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(inference, training))).dataSync()[0]).toBeGreaterThan(1e-3);
    gan.dispose();
  });

  it('a fresh run in a folder left without a checkpoint starts clean', async () => {
    const out = join(root, 'leftover');
    mkdirSync(join(out, 'samples'), { recursive: true });
    writeFileSync(join(out, 'metrics.jsonl'), '{"step": 400, "dLoss": 1, "gLoss": 1}\n');
    writeFileSync(join(out, 'samples', 'step-000400.png'), 'old');
    const lines: string[] = [];
    await train(config('leftover', { steps: 2, logEvery: 1 }), { ...quiet, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toContain('never reached a checkpoint');
    expect(readMetrics(out).map((m) => m.step)).toEqual([1, 2]);
    expect(readdirSync(join(out, 'samples'))).toEqual(['step-000002.png']);
  });
});

describe('resume rules', () => {
  const saved = config('saved', { steps: 100, logEvery: 50 });
  it('a resume keeps the run, takes this invocation’s budget and cadence', () => {
    const cli = config('saved', { resume: true, logEvery: 5, maxMinutes: 3, steps: 6 });
    const run = resumedConfig(cli, saved, new Set(['logEvery', 'maxMinutes']));
    expect(run).toMatchObject({ steps: 100, logEvery: 5, maxMinutes: 3, resume: true });
  });
  it('an explicit option that contradicts the checkpoint is an error', () => {
    const cli = config('saved', { resume: true, steps: 6 });
    expect(resumedConfig(cli, saved, new Set(['steps']))).toBe(
      "--resume: --steps 6 differs from the checkpoint's 100",
    );
    expect(resumedConfig({ ...cli, batchSize: 32 }, saved, new Set(['batchSize']))).toContain(
      '--batch-size 32',
    );
  });
});

describe('one process per run folder', () => {
  it('refuses a folder held by a live process, takes over one left by a dead one', async () => {
    const out = join(root, 'locked');
    mkdirSync(out, { recursive: true });
    // The parent of this test process is alive and is not us.
    writeFileSync(join(out, '.lock'), String(process.ppid));
    await expect(train(config('locked', { steps: 1 }), quiet)).rejects.toThrow(
      `is in use by another training process (pid ${process.ppid})`,
    );
    writeFileSync(join(out, '.lock'), '2147483646'); // no such process
    await expect(train(config('locked', { steps: 1 }), quiet)).resolves.toMatchObject({ step: 1 });
    expect(readdirSync(out)).not.toContain('.lock');
  });
});
