// Discriminator rejection sampling for a training run, end to end: load G (its moving average) and
// D from the run's checkpoint, calibrate D on held-out real digits against fakes, take M from that
// burn-in, then sample and score the accepted digits with the project's evaluator.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import type { Preset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { loadGeneratorFromCheckpoint, type Report } from '../evaluate/evaluate.ts';
import { evaluateImages } from '../evaluate/images.ts';
import { type Calibration, calibrated, plattScaling } from './calibrate.ts';
import { loadDiscriminator, logits, roundWeightsToUint8 } from './discriminator.ts';
import { acceptanceLogit, type Drs, drawDigits, sampleWithRejection } from './sampler.ts';

export interface CalibrationReport extends Calibration {
  /** Held-out real digits (MNIST test digits: D never trained on them) and as many fakes, used for the fit and the burn-in. */
  digits: number;
  /** log M: the largest calibrated logit over the burn-in fakes. */
  logM: number;
  /** Mean calibrated logit on real digits and on fakes not used for the fit (the check that D still tells them apart). */
  check: { digits: number; real: number; fake: number };
  /** Percentiles of F (Eq. 8, γ = 0) over the burn-in fakes: at γ = the p-th, the top (100 − p) % are kept with probability above ½. */
  fPercentiles: Record<'p50' | 'p80' | 'p95', number>;
  /** D scored with its weights rounded to uint8, as a page would hold it. */
  dUint8: boolean;
  batch: number;
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** What rejection sampling starts from: a generator, a D for it, and how many digits D judges at once. */
export interface DrsSource {
  generator: LayersModel;
  discriminator: LayersModel;
  preset: Preset;
  /** Candidates per D call: the batch D saw in training (its minibatch-stddev looks at the batch). */
  batch: number;
}

/** G (its moving average) and D from a run folder's checkpoint; D's batch is the run's batch per thread. */
export function drsFromRun(runDir: string, batch?: number): DrsSource {
  const { discriminator, preset, config } = loadDiscriminator(runDir);
  try {
    const { generator } = loadGeneratorFromCheckpoint(runDir);
    return { generator, discriminator, preset, batch: batch ?? config.batchSize / config.threads };
  } catch (e) {
    discriminator.dispose();
    throw e;
  }
}

/**
 * Calibrates the source's D (it then owns G and D: `dispose` frees both). The MNIST test digits
 * are shuffled with the seed: the first `digits` calibrate, the next `digits` (up to what is left)
 * check. The evaluator scores against all 10,000 test digits; the calibration fits only a slope
 * and an offset of D's logit, so it cannot pull the accepted digits towards those particular ones.
 */
export function prepareDrs(
  source: DrsSource,
  opts: { digits: number; seed: number; dUint8?: boolean; log?: (line: string) => void },
): { drs: Drs; calibration: CalibrationReport; dispose: () => void } {
  const log = opts.log ?? (() => {});
  const { discriminator, preset, generator, batch } = source;
  try {
    if (opts.dUint8) roundWeightsToUint8(discriminator);
    const test = loadMnist('test');
    const n = Math.min(opts.digits, Math.floor(test.count / 2));
    if (n < 100) throw new Error(`calibration needs at least 100 held-out digits, got ${opts.digits}`);
    const order = new Rng(`${opts.seed}/drs/calibration`).permutation(test.count);
    const realSplit = (from: number, count: number) => {
      const idx = order.subarray(from, from + count);
      const images = new Float32Array(count * PIXELS);
      idx.forEach((k, i) => {
        images.set(test.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
      });
      return { images, labels: preset.classes > 0 ? Int32Array.from(idx, (k) => test.labels[k]) : null };
    };
    const score = (d: { images: Float32Array; labels: Int32Array | null }) =>
      logits(discriminator, d.images, d.labels, batch);
    // Fakes as the evaluator draws them (every class equally often), from streams of their own.
    const fakes = (tag: string, count: number) => {
      const labels = Int32Array.from({ length: count }, (_, i) => i % Math.max(preset.classes, 1));
      const images = drawDigits(generator, preset, labels, new Rng(`${opts.seed}/drs/${tag}`));
      return { images, labels: preset.classes > 0 ? labels : null };
    };
    log(`calibrating D on ${n} held-out real digits and ${n} fakes (batches of ${batch})`);
    const fitFake = score(fakes('fit', n));
    const fit = plattScaling(score(realSplit(0, n)), fitFake);
    const burnIn = Array.from(fitFake, (l) => calibrated(fit, l));
    const logM = Math.max(...burnIn);
    const checkCount = Math.min(n, test.count - n);
    const check = {
      digits: checkCount,
      real: mean(Array.from(score(realSplit(n, checkCount)), (l) => calibrated(fit, l))),
      fake: mean(Array.from(score(fakes('check', checkCount)), (l) => calibrated(fit, l))),
    };
    const f = burnIn.map((d) => acceptanceLogit(d, logM, 0));
    const calibration: CalibrationReport = {
      ...fit,
      digits: n,
      logM,
      check,
      fPercentiles: { p50: percentile(f, 50), p80: percentile(f, 80), p95: percentile(f, 95) },
      dUint8: opts.dUint8 ?? false,
      batch,
    };
    const g = generator;
    return {
      drs: { generator: g, discriminator, preset, calibration: fit, logM, batch },
      calibration,
      dispose: () => {
        g.dispose();
        discriminator.dispose();
      },
    };
  } catch (e) {
    generator.dispose();
    discriminator.dispose();
    throw e;
  }
}

export interface DrsResult {
  gamma: number;
  /** Accepted / candidates drawn (extras of a class already complete count as accepted). */
  acceptance: number;
  candidates: number;
  accepted: number;
  perClass: { candidates: number; accepted: number; acceptance: number }[] | null;
  /** log M at the end: a candidate above the burn-in's maximum raises it, and lowers every later acceptance. */
  logM: number;
  report: Report;
}

/**
 * `samples` digits by rejection sampling at γ (conditional presets: every class equally often, as
 * the evaluator asks), scored by the project's evaluator in both feature spaces.
 */
export async function sampleAndEvaluate(
  drs: Drs,
  opts: { samples: number; gamma: number; seed: number; model: string; log?: (line: string) => void },
): Promise<DrsResult> {
  const log = opts.log ?? (() => {});
  const { preset } = drs;
  const requested =
    preset.classes > 0 ? Int32Array.from({ length: opts.samples }, (_, i) => i % preset.classes) : null;
  log(`rejection sampling ${opts.samples} digits at γ ${opts.gamma}`);
  const s = sampleWithRejection(drs, {
    n: opts.samples,
    requested,
    gamma: opts.gamma,
    rng: new Rng(`${opts.seed}/drs/sample`),
    // Below 0.5 % acceptance the sampler is of no use on a page: stop.
    maxCandidates: opts.samples * 200,
  });
  const report = await evaluateImages(
    { images: s.images, requested: s.requested },
    { preset: preset.name, model: `${opts.model} (rejection sampling, γ ${opts.gamma})`, log },
  );
  return {
    gamma: opts.gamma,
    acceptance: s.accepted / s.candidates,
    candidates: s.candidates,
    accepted: s.accepted,
    perClass: s.perClass?.map((c) => ({ ...c, acceptance: c.accepted / c.candidates })) ?? null,
    logM: s.logM,
    report,
  };
}
