// Learning-rate annealing: the schedules (linear, cosine), and a run annealed on --resume equals one annealed from its start.
// (That every training thread applies the same scale: train-parallel.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { annealFactor } from '../../train/anneal.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import type { TrainConfig } from '../../train/config.ts';
import { TrainingError, train } from '../../train/train.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'anneal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const config = (out: string, over: Partial<TrainConfig> = {}) => runConfig(join(root, out), over);
const quiet = { log: () => {}, isTTY: false };
const sha = (name: string) => readCheckpoint(join(root, name))!.state.weightsSha256;

describe('annealFactor', () => {
  it('is 1 before the start, then falls linearly to 1/(target − from) on the last update', () => {
    expect([0, 5, 6, 7, 8, 9].map((s) => annealFactor(s, 6, 10))).toEqual([1, 1, 1, 0.75, 0.5, 0.25]);
    expect(annealFactor(10, 6, 10)).toBe(0);
    expect(annealFactor(50, null, 100)).toBe(1);
    expect(annealFactor(50, 10, null)).toBe(1);
  });

  it('cosine: from 1 to 0 over the same steps, above the straight line in the first half, below it after', () => {
    const cos = (s: number) => annealFactor(s, 100, 200, 'cosine');
    expect([0, 99, 100].map(cos)).toEqual([1, 1, 1]);
    expect(cos(150)).toBeCloseTo(0.5, 12);
    expect(cos(125)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(cos(125)).toBeGreaterThan(annealFactor(125, 100, 200));
    expect(cos(175)).toBeLessThan(annealFactor(175, 100, 200));
    expect(cos(199)).toBeGreaterThan(0);
    expect(cos(200)).toBe(0);
    // 'linear' is the default, exactly as before the option.
    for (const s of [0, 120, 199, 200])
      expect(annealFactor(s, 100, 200, 'linear')).toBe(annealFactor(s, 100, 200));
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

  it('needs a final step after its start', async () => {
    const run = train(config('bad', { steps: 6, annealFrom: 6 }), quiet);
    await expect(run).rejects.toThrow(TrainingError);
    await expect(train(config('bad2', { steps: 6, annealFrom: 9 }), quiet)).rejects.toThrow(
      '--anneal-from 9 needs a final step after it (--steps or --epochs), got 6',
    );
  });
});
