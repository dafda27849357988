// Top-k training in whole runs: its schedule in the loop, resume rules, and the data-parallel path
// (each replica keeps the best share of its own shard). Real digits, wasm backend, real threads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, shardOf } from '../../train/batches.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import type { TrainConfig } from '../../train/config.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { createGan } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Replicas } from '../../train/parallel/replicas.ts';
import { applyAveraged, average, shardGradients } from '../../train/parallel/shard-step.ts';
import { Rng } from '../../train/rng.ts';
import { train } from '../../train/train.ts';
import { runCli } from './cli-usage.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'top-k-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// 32 digits at batch 8: 4 steps per epoch, so the share drops at steps 4 and 8.
const config = (out: string, over: Partial<TrainConfig> = {}): TrainConfig =>
  runConfig(join(root, out), { steps: 4, trainDigits: 32, ...over });
const quiet = { log: () => {}, isTTY: false };
const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;

describe('top-k in the training loop', () => {
  it('the first epoch is the plain run bit for bit; from the second on, the run differs', async () => {
    const topK = { topKMin: 0.5, topKDecay: 0.5 };
    await train(config('plain'), quiet);
    await train(config('top-k', topK), quiet);
    expect(sha('top-k')).toBe(sha('plain'));
    await train(config('plain', { resume: true, steps: 6 }), { ...quiet, explicit: new Set(['steps']) });
    await train(config('top-k', { ...topK, resume: true, steps: 6 }), {
      ...quiet,
      explicit: new Set(['steps']),
    });
    expect(sha('top-k')).not.toBe(sha('plain'));
    // The setting belongs to the run: a resume may not change it.
    await expect(
      train(config('top-k', { topKMin: 0.75, resume: true, steps: 8 }), {
        ...quiet,
        explicit: new Set(['steps', 'topKMin']),
      }),
    ).rejects.toThrow("--resume: --top-k-min 0.75 differs from the checkpoint's 0.5");
  });

  it('two threads: each replica keeps the best share of its own shard', async () => {
    await selectBackend('wasm', false, () => {});
    const preset = getPreset('fast-cond');
    const recipe = { lr: 2e-4, beta1: 0.5, lrD: 8e-4 };
    const make = () => {
      const r = new Rng(4);
      return createGan(preset, { next: () => r.seed() }, recipe);
    };
    const threaded = make();
    const local = make();
    const plain = make();
    const batches = new Batches(loadMnist('test'), preset, 16, 4);
    const replicas = await Replicas.start(threaded, 2, { preset: preset.name, backend: 'wasm', recipe });
    try {
      for (let step = 0; step < 2; step++) {
        const batch = batches.arrays(step, new Rng(step));
        await replicas.step(batch, new Rng(0), 1, 0.5);
        // The same two shards on one copy, each with top-k 0.5 (4 of its 8 fakes), averaged.
        const moving = local.generator.nonTrainableWeights.map((w) => w.read().clone());
        const a = shardGradients(local, shardOf(batch, 0, 2), 0.5);
        local.generator.nonTrainableWeights.forEach((w, i) => {
          (w.read() as tf.Variable).assign(moving[i]);
        });
        tf.dispose(moving);
        const b = shardGradients(local, shardOf(batch, 1, 2), 0.5);
        applyAveraged(local, average([a.grads, b.grads]), average([a.moving, b.moving]), 1);
        // And without top-k, to show the share reached the replica thread.
        const pa = shardGradients(plain, shardOf(batch, 0, 2));
        const pb = shardGradients(plain, shardOf(batch, 1, 2));
        applyAveraged(plain, average([pa.grads, pb.grads]), average([pa.moving, pb.moving]), 1);
      }
      const weights = (g: typeof local) => g.gVars.flatMap((v) => Array.from(v.dataSync()));
      const [x, y, z] = [weights(threaded), weights(local), weights(plain)];
      expect(x.filter((v, i) => v !== y[i]).length).toBe(0);
      expect(x.filter((v, i) => v !== z[i]).length).toBeGreaterThan(0);
    } finally {
      await replicas.close();
      for (const g of [threaded, local, plain]) g.dispose();
    }
  });

  it('a two-thread run with top-k trains and resumes to the same weights', async () => {
    const over = { threads: 2, topKMin: 0.5, topKDecay: 0.5, steps: 8 } as const;
    await train(config('t2', over), quiet);
    await train(config('t2-split', { ...over, steps: 5 }), quiet);
    await train(config('t2-split', { ...over, resume: true }), { ...quiet, explicit: new Set(['steps']) });
    expect(sha('t2-split')).toBe(sha('t2'));
  });
});

describe('the recipe flags of npm run train and npm run pipeline', () => {
  it.each([
    [['--top-k-decay', '0.9'], '--top-k-decay needs --top-k-min (top-k training is off without it)'],
    [['--top-k-min', '0'], '--top-k-min: '],
    [['--top-k-min', '1.5'], "--top-k-min must be a number from 0 to 1, got '1.5'"],
    [['--lr-schedule', 'step'], "option '--lr-schedule <name>' argument 'step' is invalid"],
    [
      ['--no-ema', '--ema-half-life-steps', '100'],
      '--ema-half-life-steps needs the moving average (drop --no-ema)',
    ],
    [['--ema-half-life-steps', '0'], "--ema-half-life-steps must be a positive number, got '0'"],
  ])('%j: one line, exit 2', (args, message) => {
    for (const script of ['bin/train.ts', 'bin/pipeline.ts']) {
      const r = runCli(script, [...args, '--out', join(root, 'never')]);
      expect(r.status).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(message)]);
    }
  });
});
