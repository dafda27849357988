// Discriminator rejection sampling (model/drs/, npm run drs) on a tiny real run: a few steps of
// fast-cond on a slice of MNIST, wasm backend, its own D and G, the project's evaluator.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plattScaling } from '../../model/drs/calibrate.ts';
import { discriminatorSize } from '../../model/drs/cost.ts';
import { type CalibrationReport, drsFromRun, prepareDrs, sampleAndEvaluate } from '../../model/drs/drs.ts';
import { fitDiscriminator } from '../../model/drs/fit.ts';
import { acceptProbability, type Drs, sampleWithRejection } from '../../model/drs/sampler.ts';
import { evaluateGenerator, generateDigits } from '../../model/evaluate/evaluate.ts';
import { evaluateImages } from '../../model/evaluate/images.ts';
import { selectBackend } from '../../train/backend.ts';
import { PIXELS } from '../../train/data/mnist.ts';
import { Rng } from '../../train/rng.ts';
import { train } from '../../train/train.ts';
import { absDiff } from '../array-diff.ts';
import { runCli, usageTests } from './cli-usage.ts';
import { runConfig } from './run-config.ts';

const root = mkdtempSync(join(tmpdir(), 'drs-'));
const runDir = join(root, 'run');
let drs: Drs;
let calibration: CalibrationReport;
let dispose: () => void;

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  // Enough steps for D to tell digits from this G's fakes; batch 16 on 2 threads = D saw 8 at a time.
  await train(runConfig(runDir, { steps: 30, batchSize: 16, threads: 2, trainDigits: 960, lrD: 8e-4 }), {
    log: () => {},
    isTTY: false,
  });
  ({ drs, calibration, dispose } = prepareDrs(drsFromRun(runDir), { digits: 600, seed: 1 }));
});
afterAll(() => {
  dispose?.();
  rmSync(root, { recursive: true, force: true });
});

describe('the acceptance rule (Eq. 8)', () => {
  it('is a probability, rises with D̃, falls as γ rises, and is near 1 for the best candidate', () => {
    const logM = 2;
    for (const gamma of [-5, -1, 0, 1, 5]) {
      let previous = -1;
      for (const d of [-30, -5, -1, 0, 1, 1.9, 2]) {
        const p = acceptProbability(d, logM, gamma);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(p).toBeGreaterThan(previous);
        previous = p;
        expect(acceptProbability(d, logM, gamma + 1)).toBeLessThan(p);
      }
    }
    expect(acceptProbability(2, 2, 0)).toBeGreaterThan(0.999);
    expect(() => acceptProbability(2.1, 2, 0)).toThrow('rejection sampling: D̃ 2.1 above log M 2');
  });
});

describe('Platt scaling', () => {
  it('recovers the log density ratio of two known Gaussians', () => {
    // real ~ N(1, 1), fake ~ N(−1, 1): log p_real/p_fake = 2x exactly.
    const rng = new Rng('platt');
    const real = Float32Array.from({ length: 20_000 }, () => 1 + rng.normal());
    const fake = Float32Array.from({ length: 20_000 }, () => -1 + rng.normal());
    const c = plattScaling(real, fake);
    expect(c.a).toBeCloseTo(2, 1);
    expect(c.b).toBeCloseTo(0, 1);
    // Scaled and shifted logits are undone.
    const c2 = plattScaling(
      real.map((x) => 3 * x - 1),
      fake.map((x) => 3 * x - 1),
    );
    expect(c2.a).toBeCloseTo(2 / 3, 1);
    expect(c2.b).toBeCloseTo(2 / 3, 1);
  });
});

describe('on a tiny real run', () => {
  it('a calibrated D scores held-out real digits higher than fakes on average', () => {
    expect(calibration.digits).toBe(600);
    expect(calibration.batch).toBe(8);
    expect(calibration.check.digits).toBe(600);
    expect(calibration.check.real).toBeGreaterThan(calibration.check.fake);
    expect(calibration.a).toBeGreaterThan(0);
    expect(Number.isFinite(calibration.logM)).toBe(true);
  });

  it('γ moves the acceptance rate the right way; every requested digit is filled, of its class', () => {
    const requested = Int32Array.from({ length: 60 }, (_, i) => i % 10);
    const rate = (gamma: number) => {
      const s = sampleWithRejection(drs, {
        n: 60,
        requested,
        gamma,
        rng: new Rng(`rate/${gamma}`),
        maxCandidates: 60 * 200,
      });
      expect(s.requested).toBe(requested);
      for (let i = 0; i < 60; i++) {
        const img = s.images.subarray(i * PIXELS, (i + 1) * PIXELS);
        expect(img.some((v) => v !== 0)).toBe(true);
        expect(img.every((v) => v >= -1 && v <= 1)).toBe(true);
      }
      expect(s.perClass!.reduce((n, c) => n + c.candidates, 0)).toBe(s.candidates);
      expect(s.logM).toBeGreaterThanOrEqual(drs.logM);
      return s.accepted / s.candidates;
    };
    // This 30-step D tells real from fake almost perfectly, so γ 0 already keeps few (about 5 %).
    const rates = [-6, -3, 0].map(rate);
    for (const r of rates) {
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThanOrEqual(1);
    }
    expect(rates[0]).toBeGreaterThan(rates[1]);
    expect(rates[1]).toBeGreaterThan(rates[2]);
  });

  it('refuses to go on when almost nothing is accepted', () => {
    expect(() =>
      sampleWithRejection(drs, { n: 50, requested: null, gamma: 60, rng: new Rng(1), maxCandidates: 200 }),
    ).toThrow(/rejection sampling accepted \d+ of \d+ candidates .*: too few; lower --gamma/);
  });

  it('evaluateImages on the digits evaluateGenerator draws gives its report', async () => {
    const opts = { samples: 200, seed: 3, model: 'm' };
    const a = await evaluateGenerator(drs.generator, drs.preset, opts);
    const b = await evaluateImages(generateDigits(drs.generator, drs.preset, 200, 3), {
      preset: drs.preset.name,
      model: 'm',
    });
    expect({ ...b, seconds: 0 }).toEqual({ ...a, seconds: 0 });
  });

  it('sampleAndEvaluate scores the accepted digits with the evaluator', async () => {
    // log M set below the burn-in's maximum, so that candidates raise it while sampling.
    const low: Drs = { ...drs, logM: drs.logM - 3 };
    const r = await sampleAndEvaluate(low, { samples: 200, gamma: 0, seed: 1, model: 'm' });
    expect(r.report.metrics.samples).toBe(200);
    expect(r.report.metrics.second).toBeDefined();
    expect(r.acceptance).toBe(r.accepted / r.candidates);
    expect(r.perClass).toHaveLength(10);
    // The same draws again: log M is the sampler's at the end, not the burn-in's.
    const again = sampleWithRejection(low, {
      n: 200,
      requested: Int32Array.from({ length: 200 }, (_, i) => i % 10),
      gamma: 0,
      rng: new Rng('1/drs/sample'),
      maxCandidates: 200 * 200,
    });
    expect(again.candidates).toBe(r.candidates);
    expect(again.logM).toBeGreaterThan(low.logM);
    expect(r.logM).toBe(again.logM);
  });

  it("fitting D to the finished G: starts from the given D's weights, moves them, and learns on (D(x) above D(G(z)))", () => {
    const seen: { dReal: number; dFake: number }[] = [];
    const fitted = fitDiscriminator(drs.generator, drs.preset, {
      steps: 20,
      batch: 8,
      seed: 1,
      lr: 2e-4,
      r1Gamma: 1,
      width: 1,
      from: drs.discriminator,
      every: 10,
      progress: (p) => seen.push(p),
    });
    try {
      expect(seen).toHaveLength(2);
      for (const p of seen) expect(p.dReal).toBeGreaterThan(p.dFake);
      const moved = fitted.weights.map((w, i) =>
        absDiff(w.read().dataSync<'float32'>(), drs.discriminator.weights[i].read().dataSync<'float32'>()),
      );
      expect(Math.max(...moved.map((d) => d.max))).toBeGreaterThan(0);
      expect(fitted.weights.every((w) => w.read().dataSync().every(Number.isFinite))).toBe(true);
    } finally {
      fitted.dispose();
    }
    // At rate 0 nothing moves: what comes back is the D it started from, weight for weight.
    const still = fitDiscriminator(drs.generator, drs.preset, {
      steps: 1,
      batch: 8,
      seed: 1,
      lr: 0,
      r1Gamma: 0,
      width: 1,
      from: drs.discriminator,
    });
    const apart = still.weights.map(
      (w, i) =>
        absDiff(w.read().dataSync<'float32'>(), drs.discriminator.weights[i].read().dataSync<'float32'>())
          .max,
    );
    still.dispose();
    expect(Math.max(...apart)).toBe(0);
    const wide = { steps: 1, batch: 8, seed: 1, lr: 2e-4, r1Gamma: 0, width: 2, from: drs.discriminator };
    expect(() => fitDiscriminator(drs.generator, drs.preset, wide)).toThrow(
      'the D to start from is not a fast-cond discriminator of width 2',
    );
  });

  it("D's size: its weights, one byte each as uint8", () => {
    const size = discriminatorSize(drs.discriminator);
    expect(size.params).toBe(drs.discriminator.countParams());
    expect(size.uint8WeightBytes).toBe(size.params);
    expect(size.topologyBytes).toBeGreaterThan(1000);
  });
});

describe('npm run drs', () => {
  usageTests('bin/drs.ts', {
    usage: 'npm run drs --',
    help: [
      '--model <dir>',
      '--fit-d <steps>',
      '--d-from <run>',
      '--gamma <list>',
      '--samples <n>',
      '(default: 10000)',
      '--d-uint8',
      '--json <file>',
    ],
    errors: [
      [[], "required option '--model <dir>' not specified"],
      [
        ['--model', 'x', '--gamma', '1,a'],
        "--gamma must be a number or a comma-separated list of numbers, got '1,a'",
      ],
      [['--model', 'x', '--samples', '10'], '--samples must be an integer ≥ 100'],
      [['--model', 'x', '--fit-d', '0'], "--fit-d must be a positive integer, got '0'"],
      [['--model', 'x', '--fit-d', '5', '--fit-lr', '-1'], "--fit-lr must be a positive number, got '-1'"],
    ],
  });

  it('a folder without a checkpoint: one line naming it, exit 1', () => {
    const r = runCli('bin/drs.ts', ['--model', root]);
    expect(r.status).toBe(1);
    // After the backend line, one line naming the folder.
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `error: ${root}: no checkpoint (rejection sampling needs a run folder's D: an export holds none; --fit-d fits one to its G)`,
    );
  });

  it('prints calibration, D’s cost and the table, and writes the JSON', () => {
    const json = join(root, 'drs.json');
    const r = runCli(
      'bin/drs.ts',
      [
        '--model',
        runDir,
        '--samples',
        '100',
        '--calibration',
        '200',
        '--gamma',
        '-3,0',
        '--d-uint8',
        '--json',
        json,
      ],
      600_000,
    );
    expect(r.stderr).not.toContain('Error');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('calibration (Platt scaling): D̃ = ');
    expect(r.stdout).toMatch(/D: [\d,]+ weights, [\d,]+ bytes as uint8/);
    expect(r.stdout).toMatch(/G alone +1\.000/);
    expect(r.stdout).toMatch(/rejection, γ 0 +0\.\d{3}/);
    expect(existsSync(json)).toBe(true);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.calibration.dUint8).toBe(true);
    expect(out.runs.map((x: { gamma: number }) => x.gamma)).toEqual([-3, 0]);
    expect(out.runs[0].acceptance).toBeGreaterThan(out.runs[1].acceptance);
    expect(out.baseline.metrics.samples).toBe(100);
    expect(out.runs[1].msPer64Shown).toBeCloseTo(
      out.forward.generatorAndDiscriminatorMs / out.runs[1].acceptance,
      6,
    );
  });
});
