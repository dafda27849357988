// Data-parallel training over worker threads (train/parallel/): determinism for a given thread
// count across interruption and resume, a crashed thread, memory, and losses that track the
// single-threaded run. Real digits, wasm backend, real worker threads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { readMetrics } from '../../train/metrics.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Replicas } from '../../train/parallel/replicas.ts';
import { applyAveraged, average, shardGradients } from '../../train/parallel/shard-step.ts';
import { V8_FLAGS } from '../../train/parallel/v8-flags.ts';
import { Rng } from '../../train/rng.ts';
import { TrainingError, train } from '../../train/train.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'parallel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (out: string, over: Partial<TrainConfig> = {}): TrainConfig =>
  runConfig(join(root, out), { steps: 8, batchSize: 16, seed: 3, logEvery: 1, threads: 2, ...over });
const quiet = { log: () => {}, isTTY: false };
const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;

describe('same seed and thread count ⇒ the same run, bit for bit', () => {
  it('two runs agree; a run interrupted at step 3 and resumed equals the uninterrupted one', async () => {
    await train(config('a'), quiet);
    await train(config('b'), quiet);
    expect(sha('b')).toBe(sha('a'));
    expect(readCheckpoint(join(root, 'a'))!.state.device).toContain('2 threads, data-parallel');

    const abort = new AbortController();
    const r = await train(config('c'), {
      ...quiet,
      signal: abort.signal,
      onStep: (step) => step === 3 && abort.abort(),
    });
    expect(r).toMatchObject({ status: 'interrupted', step: 3 });
    expect(sha('c')).not.toBe(sha('a'));
    // The replicas restart from the checkpoint: had they drifted from the main thread's copy in the
    // uninterrupted run, the final weights would differ.
    await train(config('c', { resume: true }), quiet);
    expect(sha('c')).toBe(sha('a'));
  });

  it('another thread count is another (equally valid) run, and a resume may change it', async () => {
    await train(config('one', { threads: 1 }), quiet);
    expect(sha('one')).not.toBe(sha('a'));
    const lines: string[] = [];
    await train(config('one', { resume: true, steps: 8, threads: 2 }), {
      log: (l) => lines.push(l),
      explicit: new Set(['threads']),
    });
    expect(lines.join('\n')).toContain('the run used 1 thread(s); continuing with 2 (not bit-identical)');
  });
});

describe('a crashed training thread', () => {
  it('stops the run with a clear message (exit 4) and leaves the last good checkpoint intact', async () => {
    const out = join(root, 'crash');
    let error: unknown;
    try {
      await train(config('crash', { steps: 20, checkpointEvery: 2 }), {
        ...quiet,
        onReplicas: (replicas) => {
          // Kill thread 1 while step 5 is under way.
          let steps = 0;
          const original = replicas.step.bind(replicas);
          replicas.step = (batch, rng) => {
            const pending = original(batch, rng);
            if (++steps === 5) void replicas.kill(1);
            return pending;
          };
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as TrainingError).exitCode).toBe(4);
    expect((error as Error).message).toMatch(
      /^training thread 1 stopped unexpectedly \(exit code 1\)\. Stopped without saving; the last good checkpoint \(step 4\)/,
    );
    const ckpt = readCheckpoint(out)!; // verified against its sha256
    expect(ckpt.state.step).toBe(4);
    // ... and it continues.
    await expect(
      train(config('crash', { resume: true, steps: 6 }), { ...quiet, explicit: new Set(['steps']) }),
    ).resolves.toMatchObject({ step: 6 });
  });
});

describe('the main thread', () => {
  it('keeps numTensors flat and frees everything at the end', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(config('memory', { steps: 6, checkpointEvery: 2 }), {
      ...quiet,
      onStep: () => counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('V8 flags', () => {
  it('npm run train passes the flags train/parallel/v8-flags.ts documents', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.train).toBe(`node ${V8_FLAGS.join(' ')} --import tsx bin/train.ts`);
  });
});

describe('training quality per step', () => {
  it('losses track the single-threaded run on the same batches and noise', async () => {
    // Both runs see the same digits and noise each step; only BatchNorm's and minibatch-stddev's
    // statistics are per-thread. Over 40 steps the per-step losses stay close.
    const steps = 40;
    await train(config('q1', { steps, batchSize: 32, threads: 1 }), quiet);
    await train(config('q2', { steps, batchSize: 32, threads: 2 }), quiet);
    const one = readMetrics(join(root, 'q1'));
    const two = readMetrics(join(root, 'q2'));
    expect(two.map((m) => m.step)).toEqual(one.map((m) => m.step));
    const gap = (k: 'dLoss' | 'gLoss') =>
      one.reduce((s, m, i) => s + Math.abs(m[k] - two[i][k]), 0) / one.length;
    expect(gap('dLoss')).toBeLessThan(0.05);
    expect(gap('gLoss')).toBeLessThan(0.05);
    // And they are not the same run.
    expect(sha('q2')).not.toBe(sha('q1'));
  });
});

describe('a replica thread really contributes its share', () => {
  it('a 2-thread step equals both shards computed in one thread, averaged and applied', async () => {
    await selectBackend('wasm', false, () => {});
    const preset = getPreset('fast-cond');
    const make = () => {
      const r = new Rng(9);
      return createGan(preset, { next: () => r.seed() }, { lr: 2e-4, beta1: 0.5, lrD: 8e-4 });
    };
    const threaded = make();
    const local = make();
    const batches = new Batches(loadMnist('test'), preset, 16, 9);
    const replicas = await Replicas.start(threaded, 2, {
      preset: preset.name,
      backend: 'wasm',
      recipe: { lr: 2e-4, beta1: 0.5, lrD: 8e-4 },
    });
    try {
      for (let step = 0; step < 3; step++) {
        const batch = batches.arrays(step, new Rng(step));
        const lrScale = [1, 0.5, 0.25][step]; // annealing: every replica must apply the same scale
        await replicas.step(batch, new Rng(0), lrScale);
        // The same shards, one after the other on one copy (BatchNorm's moving statistics restored
        // between them, as each replica starts the step from the same state).
        const moving = [...local.generator.nonTrainableWeights].map((w) => w.read().clone());
        const a = shardGradients(local, shardOf(batch, 0, 2));
        local.generator.nonTrainableWeights.forEach((w, i) => {
          (w.read() as tf.Variable).assign(moving[i]);
        });
        tf.dispose(moving);
        const b = shardGradients(local, shardOf(batch, 1, 2));
        applyAveraged(local, average([a.grads, b.grads]), average([a.moving, b.moving]), lrScale);
      }
      // Bit for bit; counted rather than diffed (a diff of 350 k numbers takes minutes to print).
      const weights = (g: typeof local) =>
        [...g.generator.weights, ...g.discriminator.weights].flatMap((w) => Array.from(w.read().dataSync()));
      const [x, y] = [weights(threaded), weights(local)];
      expect(x.length).toBe(y.length);
      expect(x.filter((v, i) => v !== y[i]).length).toBe(0);
    } finally {
      await replicas.close();
      threaded.dispose();
      local.dispose();
    }
  });
});
