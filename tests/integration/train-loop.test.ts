// The training loop in-process: budgets, memory across the whole loop, sample grids, resume rules.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGeneratorFromCheckpoint } from '../../model/evaluate/evaluate.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { DEFAULT_STEPS, resumedConfig, type TrainConfig, targetSteps } from '../../train/config.ts';
import { readMetrics } from '../../train/metrics.ts';
import { getPreset } from '../../train/models/presets.ts';
import { sampleGridPng } from '../../train/samples.ts';
import { train } from '../../train/train.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'loop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (out: string, over: Partial<TrainConfig> = {}): TrainConfig =>
  runConfig(join(root, out), over);
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

  it('sample grids come from the moving average of G, on the fixed inputs, in inference mode', async () => {
    const out = join(root, 'grid');
    await train(config('grid', { steps: 3 }), quiet);
    const png = readFileSync(join(out, 'samples', 'step-000003.png'));
    const preset = getPreset('fast-cond');
    const ckpt = readCheckpoint(out)!;
    const { generator: ema, weights } = loadGeneratorFromCheckpoint(out);
    expect(weights).toBe('ema');
    expect(sampleGridPng(ema, preset, 1).equals(png)).toBe(true);
    // The raw G draws something else: the EMA is a separate, checkpointed set of weights.
    const { generator: raw } = loadGeneratorFromCheckpoint(out, { ema: false });
    expect(sampleGridPng(raw, preset, 1).equals(png)).toBe(false);
    expect(ckpt.tensors.ema!.map((t) => t.shape)).toEqual(ckpt.tensors.generator.map((t) => t.shape));
    // Training-mode BatchNorm (batch statistics) would draw something else.
    const z = tf.randomNormal([80, 64]);
    const y = tf.tensor2d(
      Array.from({ length: 80 }, (_, i) => i % 10),
      [80, 1],
    );
    const inference = ema.predict([z, y]) as tf.Tensor;
    const training = ema.apply([z, y], { training: true }) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(inference, training))).dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([z, y, inference, training]);
    ema.dispose();
    raw.dispose();
  });

  it('--no-ema keeps no moving average: samples come from G itself', async () => {
    const out = join(root, 'no-ema');
    await train(config('no-ema', { steps: 3, ema: false }), quiet);
    const ckpt = readCheckpoint(out)!;
    expect(ckpt.tensors.ema).toBeUndefined();
    const { generator, weights } = loadGeneratorFromCheckpoint(out);
    expect(weights).toBe('raw');
    const png = readFileSync(join(out, 'samples', 'step-000003.png'));
    expect(sampleGridPng(generator, getPreset('fast-cond'), 1).equals(png)).toBe(true);
    generator.dispose();
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

describe('continuing a finished run', () => {
  it('a 10-step run continued with --steps 20 equals a 20-step run, bit for bit', async () => {
    const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;
    await train(config('straight-20', { steps: 20 }), quiet);
    await train(config('cont', { steps: 10 }), quiet);
    expect(readCheckpoint(join(root, 'cont'))!.state.step).toBe(10);
    const r = await train(config('cont', { resume: true, steps: 20 }), {
      ...quiet,
      explicit: new Set(['steps']),
    });
    expect(r).toMatchObject({ status: 'finished', step: 20, target: 20 });
    expect(sha('cont')).toBe(sha('straight-20'));
    expect(readMetrics(join(root, 'cont')).at(-1)?.step).toBe(20);
  });
});

describe('interrupting a run', () => {
  it('an abort at step 3 saves a checkpoint there; --resume reaches the uninterrupted run, bit for bit', async () => {
    const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;
    await train(config('whole', { steps: 8 }), quiet);
    const abort = new AbortController();
    const r = await train(config('cut', { steps: 8 }), {
      ...quiet,
      signal: abort.signal,
      onStep: (step) => {
        if (step === 3) abort.abort(); // what the CLI's SIGINT handler does
      },
    });
    expect(r).toMatchObject({ status: 'interrupted', step: 3 });
    expect(readCheckpoint(join(root, 'cut'))!.state.step).toBe(3);
    await train(config('cut', { resume: true, steps: 8 }), quiet);
    expect(sha('cut')).toBe(sha('whole'));
  });
});

describe('resume rules', () => {
  const saved = config('saved', { steps: 100, logEvery: 50 });
  it('a resume keeps the run, takes this invocation’s budget and cadence', () => {
    const cli = config('saved', { resume: true, logEvery: 5, maxMinutes: 3, steps: 6 });
    const run = resumedConfig(cli, saved, new Set(['logEvery', 'maxMinutes']));
    expect(run).toMatchObject({ ok: true, value: { steps: 100, logEvery: 5, maxMinutes: 3, resume: true } });
    // A budget given anew continues (or shortens) the run.
    expect(resumedConfig(cli, saved, new Set(['steps']))).toMatchObject({ value: { steps: 6 } });
  });
  it('an explicit option that contradicts the checkpoint is an error', () => {
    const cli = config('saved', { resume: true, seed: 6 });
    const why = (r: ReturnType<typeof resumedConfig>) => (r.ok ? '' : r.why);
    expect(why(resumedConfig(cli, saved, new Set(['seed'])))).toBe(
      "--resume: --seed 6 differs from the checkpoint's 1",
    );
    expect(why(resumedConfig({ ...cli, dWidth: 2 }, saved, new Set(['dWidth'])))).toContain('--d-width 2');
    expect(why(resumedConfig({ ...cli, r1Gamma: 1 }, saved, new Set(['r1Gamma'])))).toContain(
      "--r1-gamma 1 differs from the checkpoint's 0",
    );
    expect(why(resumedConfig({ ...cli, batchSize: 32 }, saved, new Set(['batchSize'])))).toContain(
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
