// Learning-rate annealing: the schedules (linear, cosine, a restart), and a run annealed on --resume equals one annealed
// from its start; a run with --anneal-restart equals the shipped model's run (annealed, then continued to a larger target).
// (That every training thread applies the same scale: train-parallel.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Annealing, annealFactor } from '../../train/anneal.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import type { TrainConfig } from '../../train/config.ts';
import { TrainingError, train } from '../../train/train.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'anneal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = (out: string, over: Partial<TrainConfig> = {}) => runConfig(join(root, out), over);
const quiet = { log: () => {}, isTTY: false };
const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;

const linear = (from: number | null, restart: number | null = null): Annealing => ({
  from,
  restart,
  schedule: 'linear',
});

describe('annealFactor', () => {
  it('is 1 before the start, then falls linearly to 1/(target − from) on the last update', () => {
    expect([0, 5, 6, 7, 8, 9].map((s) => annealFactor(s, 10, linear(6)))).toEqual([1, 1, 1, 0.75, 0.5, 0.25]);
    expect(annealFactor(10, 10, linear(6))).toBe(0);
    expect(annealFactor(50, 100, linear(null))).toBe(1);
    expect(annealFactor(50, null, linear(10))).toBe(1);
  });

  it('cosine: from 1 to 0 over the same steps, above the straight line in the first half, below it after', () => {
    const cos = (s: number) => annealFactor(s, 200, { from: 100, restart: null, schedule: 'cosine' });
    const line = (s: number) => annealFactor(s, 200, linear(100));
    expect([0, 99, 100].map(cos)).toEqual([1, 1, 1]);
    expect(cos(150)).toBeCloseTo(0.5, 12);
    expect(cos(125)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(cos(125)).toBeGreaterThan(line(125));
    expect(cos(175)).toBeLessThan(line(175));
    expect(cos(199)).toBeGreaterThan(0);
    expect(cos(200)).toBe(0);
  });

  it('a restart: falls to 0 at the restart, then from the line between the start and the final step to 0', () => {
    // The shipped model's schedule, in thousands of steps: from 10, restart 20, final 30.
    const f = (s: number) => annealFactor(s, 30, linear(10, 20));
    expect([0, 9, 10, 15, 19].map(f)).toEqual([1, 1, 1, 0.5, 0.1]);
    expect([20, 25, 29, 30].map(f)).toEqual([0.5, 0.25, 0.05, 0]);
    // A restart at the start is one fall.
    for (const s of [0, 10, 17, 29])
      expect(annealFactor(s, 30, linear(10, 10))).toBe(annealFactor(s, 30, linear(10)));
  });
});

describe('annealing a run', () => {
  it('changes the run; 3 steps continued to 6 with --anneal-from 3 equal 6 steps annealed from 3, bit for bit', async () => {
    await train(config('plain', { steps: 6 }), quiet);
    await train(config('annealed', { steps: 6, annealFrom: 3 }), quiet);
    expect(sha('annealed')).not.toBe(sha('plain'));

    await train(config('later', { steps: 3 }), quiet);
    const r = await train(config('later', { resume: true, steps: 6, annealFrom: 3 }), {
      ...quiet,
      explicit: new Set(['steps', 'annealFrom']),
    });
    expect(r).toMatchObject({ status: 'finished', step: 6 });
    expect(sha('later')).toBe(sha('annealed'));
    expect(readCheckpoint(join(root, 'later'))!.state.config.annealFrom).toBe(3);
  });

  it('--lr-schedule cosine changes the run, can be set on --resume, and needs --anneal-from', async () => {
    await train(config('cosine', { steps: 6, annealFrom: 3, lrSchedule: 'cosine' }), quiet);
    expect(sha('cosine')).not.toBe(sha('annealed'));
    await train(config('cosine-later', { steps: 3 }), quiet);
    await train(config('cosine-later', { resume: true, steps: 6, annealFrom: 3, lrSchedule: 'cosine' }), {
      ...quiet,
      explicit: new Set(['steps', 'annealFrom', 'lrSchedule']),
    });
    expect(sha('cosine-later')).toBe(sha('cosine'));
    await expect(train(config('cosine-alone', { steps: 6, lrSchedule: 'cosine' }), quiet)).rejects.toThrow(
      '--lr-schedule cosine shapes the annealing: give --anneal-from too',
    );
  });

  it('--anneal-restart: 9 steps from 2, restarting at 6, equal 6 steps annealed from 2 continued to 9 (how the shipped model was made)', async () => {
    await train(config('two-falls', { steps: 9, annealFrom: 2, annealRestart: 6 }), quiet);
    await train(config('one-fall', { steps: 9, annealFrom: 2 }), quiet);
    expect(sha('two-falls')).not.toBe(sha('one-fall'));

    await train(config('continued', { steps: 6, annealFrom: 2 }), quiet);
    await train(config('continued', { resume: true, steps: 9 }), { ...quiet, explicit: new Set(['steps']) });
    expect(sha('continued')).toBe(sha('two-falls'));
  });

  it('--anneal-restart needs --anneal-from, and a step from it up to before the final one', async () => {
    await expect(train(config('r1', { steps: 6, annealRestart: 3 }), quiet)).rejects.toThrow(
      '--anneal-restart 3 ends a first fall: give --anneal-from too',
    );
    await expect(train(config('r2', { steps: 6, annealFrom: 3, annealRestart: 2 }), quiet)).rejects.toThrow(
      '--anneal-restart 2 must lie between --anneal-from 3 and the final step 6',
    );
    await expect(train(config('r3', { steps: 6, annealFrom: 3, annealRestart: 6 }), quiet)).rejects.toThrow(
      '--anneal-restart 6 must lie between --anneal-from 3 and the final step 6',
    );
  });

  it('needs a final step after its start', async () => {
    const run = train(config('bad', { steps: 6, annealFrom: 6 }), quiet);
    await expect(run).rejects.toThrow(TrainingError);
    await expect(train(config('bad2', { steps: 6, annealFrom: 9 }), quiet)).rejects.toThrow(
      '--anneal-from 9 needs a final step after it (--steps or --epochs), got 6',
    );
  });
});
