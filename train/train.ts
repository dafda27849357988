import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../lib/errors.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { lockRun } from '../lib/run-lock.ts';
import { annealFactor } from './anneal.ts';
import { runsOpsItself, type SelectedBackend, selectBackend } from './backend.ts';
import { Batches, disposeBatch } from './batches.ts';
import {
  CHECKPOINT,
  type LoadedCheckpoint,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from './checkpoint.ts';
import { resumedConfig, type TrainConfig, targetSteps, trainConfigSchema } from './config.ts';
import { loadMnist } from './data/mnist.ts';
import { GeneratorEma } from './ema.ts';
import { createGan, type StepStats, trainingState } from './gan.ts';
import { appendMetrics, truncateMetrics } from './metrics.ts';
import { getPreset } from './models/presets.ts';
import { Replicas } from './parallel/replicas.ts';
import { createProgress, speedometer } from './progress.ts';
import { Rng, type RngState, rngStateSchema } from './rng.ts';
import { sampleGridPng } from './samples.ts';
import { topKShare } from './top-k.ts';

export class TrainingError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}

export interface RunResult {
  status: 'finished' | 'time-limit' | 'interrupted';
  step: number;
  target: number | null;
  seconds: number;
  backend: SelectedBackend;
  last: StepStats | null;
}

/** The exit code of a run that ran out of --max-minutes before its final step (sysexits' "try again"). */
export const OUT_OF_TIME_EXIT = 75;

/** Out of --max-minutes before the final step: the schedule did not end, so the model is not final. */
export const outOfTime = (r: Pick<RunResult, 'status' | 'step' | 'target'>): boolean =>
  r.status === 'time-limit' && r.target !== null && r.step < r.target;

export interface TrainOptions {
  /** Aborting stops the run after the current step, with a checkpoint (SIGINT). */
  signal?: AbortSignal;
  isTTY?: boolean;
  /** Options the user set explicitly (a resume checks them against the checkpoint). */
  explicit?: ReadonlySet<keyof TrainConfig>;
  log?: (line: string) => void;
  /** Called after every step (progress reporting, tests). */
  onStep?: (step: number, stats: StepStats) => void;
  /** Called once the replica threads run (threads > 1); tests use it to kill one. */
  onReplicas?: (replicas: Replicas) => void;
}

/**
 * Trains a GAN on the MNIST training digits: one run, top to bottom. Everything a run writes goes
 * into `config.out`; `--resume` continues it from its last checkpoint to the same final step.
 */
export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const out = config.out;

  // ---- resume or fresh start: never silently overwrite or mix runs
  const ckpt = readCheckpoint(out);
  if (ckpt && !config.resume) {
    throw new TrainingError(
      `${out} already holds a run (step ${ckpt.state.step}); pass --resume or another --out`,
      2,
    );
  }
  if (!ckpt && config.resume) throw new TrainingError(`--resume: no checkpoint in ${out}`, 2);
  let run = config;
  let savedThreads = config.threads;
  let resume: Resume | null = null;
  if (ckpt) {
    const saved = trainConfigSchema.safeParse(ckpt.state.config);
    const rngState = rngStateSchema.safeParse(ckpt.state.rng);
    if (!saved.success || !rngState.success) {
      throw new TrainingError(`checkpoint in ${ckpt.dir}: its run config or RNG state is invalid`, 2);
    }
    const merged = resumedConfig(config, saved.data, opts.explicit ?? new Set());
    if (!merged.ok) throw new TrainingError(merged.why, 2);
    run = merged.value;
    savedThreads = saved.data.threads;
    resume = { ckpt, rng: rngState.data };
  }

  let backend = await selectBackend(run.backend, run.requireGpu, log);
  if (run.threads > 1 && runsOpsItself(backend.name)) {
    // libtensorflow spreads each op over every core (or runs on the GPU) by itself; WebGPU runs on its device.
    log(
      `note: --threads ${run.threads} applies to the wasm and cpu backends; ${backend.name} uses its own threads`,
    );
    run = { ...run, threads: 1 };
  }
  const share = run.batchSize / run.threads;
  if (!Number.isInteger(share) || share < 2 || (run.modeSeeking > 0 && share % 2 !== 0)) {
    throw new TrainingError(
      `--batch-size ${run.batchSize} must split into --threads ${run.threads} equal shares of at least 2 digits` +
        (run.modeSeeking > 0 ? ' and, with --mode-seeking, an even number each (pairs stay together)' : ''),
      2,
    );
  }
  backend = {
    ...backend,
    device: `${backend.device}; ${run.threads === 1 ? '1 thread' : `${run.threads} threads, data-parallel`}`,
  };
  log(`backend: ${backend.name} on ${backend.device}`);
  if (ckpt && ckpt.state.backend !== backend.name) {
    log(
      `note: the checkpoint was trained on ${ckpt.state.backend}; continuing on ${backend.name} (not bit-identical)`,
    );
  }
  if (ckpt && savedThreads !== run.threads) {
    log(`note: the run used ${savedThreads} thread(s); continuing with ${run.threads} (not bit-identical)`);
  }
  mkdirSync(out, { recursive: true });
  const lock = lockRun(out);
  if (!lock.ok) throw new TrainingError(lock.why, 2);
  const unlock = lock.value;
  try {
    return await trainLocked(run, resume, backend, opts, log);
  } finally {
    unlock();
  }
}

/** A checkpoint to continue, with its RNG state as validated. */
interface Resume {
  ckpt: LoadedCheckpoint;
  rng: RngState;
}

async function trainLocked(
  run: TrainConfig,
  resume: Resume | null,
  backend: SelectedBackend,
  opts: TrainOptions,
  log: (line: string) => void,
): Promise<RunResult> {
  const out = run.out;
  const ckpt = resume?.ckpt ?? null;
  if (!ckpt) clearUncheckpointedRun(out, log);
  mkdirSync(join(out, 'samples'), { recursive: true });

  // ---- data: the real MNIST training digits in [-1, 1], a fresh permutation per epoch
  const preset = getPreset(run.preset);
  const batches = new Batches(
    loadMnist('train'),
    preset,
    run.batchSize,
    run.seed,
    run.trainDigits,
    run.modeSeeking > 0,
  );
  if (batches.stepsPerEpoch < 1) {
    throw new TrainingError(`--batch-size ${run.batchSize} exceeds the ${batches.count} digits`, 2);
  }
  const target = targetSteps(run, batches.stepsPerEpoch);
  if (run.annealFrom !== null && (target === null || run.annealFrom >= target)) {
    throw new TrainingError(
      `--anneal-from ${run.annealFrom} needs a final step after it (--steps or --epochs), got ${target ?? 'none'}`,
      2,
    );
  }
  const restart = run.annealRestart;
  if (restart !== null && run.annealFrom === null) {
    throw new TrainingError(`--anneal-restart ${restart} ends a first fall: give --anneal-from too`, 2);
  }
  if (
    restart !== null &&
    run.annealFrom !== null &&
    (restart < run.annealFrom || target === null || restart >= target)
  ) {
    throw new TrainingError(
      `--anneal-restart ${restart} must lie between --anneal-from ${run.annealFrom} and the final step ${target} (on --resume, --anneal-restart ${run.annealFrom} turns a restart kept from the checkpoint off)`,
      2,
    );
  }
  if (run.lrSchedule !== 'linear' && run.annealFrom === null) {
    throw new TrainingError(
      `--lr-schedule ${run.lrSchedule} shapes the annealing: give --anneal-from too`,
      2,
    );
  }

  // ---- models and optimizers; all randomness from one seeded stream (weights, noise, dropout)
  let rng = new Rng(run.seed);
  const gan = createGan(preset, { next: () => rng.seed() }, run);
  // The EMA copy's own initial weights are overwritten at once (a copy of G), so its seeds don't matter.
  const ema = run.ema ? new GeneratorEma(preset.generator({ next: () => 0 }), gan.generator) : null;
  const state = { ...trainingState(gan), ema: ema?.model };
  let step = 0;
  let secondsBefore = 0;
  if (resume) {
    const { ckpt } = resume;
    await restoreCheckpoint(ckpt, state);
    if (ema && !ckpt.tensors.ema) {
      ema.copyFrom();
      log('note: the checkpoint has no moving average of G; it starts from G now');
    }
    step = ckpt.state.step;
    secondsBefore = ckpt.state.seconds;
    rng = new Rng(resume.rng);
    truncateMetrics(out, step);
    log(`resumed from ${ckpt.dir} at step ${step}`);
  } else {
    writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(run, null, 2)}\n`);
  }
  log(
    `preset ${preset.name}: G ${gan.generator.countParams().toLocaleString()} params, ` +
      `${describeRecipe(run)}, ` +
      `D ${gan.discriminator.countParams().toLocaleString()}; ${batches.count} digits, batch ${run.batchSize}, ` +
      `${batches.stepsPerEpoch} steps/epoch, target ${target ?? 'until time runs out'}`,
  );

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let lastSaved = step;
  const save = async () => {
    // A step can blow the weights up even when its losses (computed before the update) were finite.
    if (!gan.weightsFinite()) throw diverged(`non-finite weights after step ${step}`, lastSaved, out);
    await saveCheckpoint(out, state, {
      step,
      config: run,
      rng: rng.state(),
      backend: backend.name,
      device: backend.device,
      seconds: secondsBefore + elapsed(),
    });
    lastSaved = step;
  };
  const writeSamples = () => {
    const name = `step-${String(step).padStart(6, '0')}.png`;
    writeFileAtomic(join(out, 'samples', name), sampleGridPng(ema?.model ?? gan.generator, preset, run.seed));
  };

  // ---- data-parallel replicas (threads > 1): exact copies of both nets in worker threads
  const replicas =
    run.threads > 1
      ? await Replicas.start(gan, run.threads, {
          preset: preset.name,
          backend: backend.name,
          recipe: run,
        })
      : null;
  if (replicas) opts.onReplicas?.(replicas);
  const trainStep = async (): Promise<StepStats> => {
    const lrScale = annealFactor(step, target, {
      from: run.annealFrom,
      restart: run.annealRestart,
      schedule: run.lrSchedule,
    });
    const topK = topKShare(step, batches.stepsPerEpoch, run.topKMin, run.topKDecay);
    if (replicas) {
      try {
        return await replicas.step(batches.arrays(step, rng), rng, lrScale, topK);
      } catch (e) {
        throw new TrainingError(
          `${errorMessage(e)}. Stopped without saving; the last good checkpoint (step ${lastSaved}) is in ${join(out, CHECKPOINT)}; continue with --resume`,
          4,
        );
      }
    }
    const batch = batches.batch(step, rng);
    gan.setLrScale(lrScale);
    try {
      return gan.step(batch, topK);
    } finally {
      disposeBatch(batch);
    }
  };

  // ---- the loop
  const progress = createProgress(opts.isTTY ?? false, run.logEvery);
  const window: StepStats[] = [];
  let last: StepStats | null = null;
  let status: RunResult['status'] = 'finished';
  const speed = speedometer();
  let sps = speed.mark(step);
  const logMetrics = () =>
    appendMetrics(out, window.splice(0), {
      step,
      stepsPerEpoch: batches.stepsPerEpoch,
      stepsPerSec: sps,
      seconds: secondsBefore + elapsed(),
    });
  try {
    while (true) {
      if (target !== null && step >= target) break;
      // --max-minutes is this invocation's budget (a resume gets a fresh one).
      if (run.maxMinutes !== null && elapsed() >= run.maxMinutes * 60) {
        status = 'time-limit';
        break;
      }
      if (opts.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const stats = await trainStep();
      ema?.update(step + 1, run.batchSize, run.emaHalfLifeSteps);
      if (![stats.dLoss, stats.gLoss].every(Number.isFinite)) {
        throw diverged(`D loss ${stats.dLoss}, G loss ${stats.gLoss} at step ${step + 1}`, lastSaved, out);
      }
      step++;
      last = stats;
      window.push(stats);
      opts.onStep?.(step, stats);

      sps = speed.mark(step);
      progress.update(step, target, stats, sps, eta(run, target, step, sps, elapsed()));
      if (step % run.logEvery === 0) logMetrics();
      if (step % run.sampleEvery === 0) writeSamples();
      if (step % run.checkpointEvery === 0) await save();
      // Lets signal handlers run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (window.length) logMetrics();
    if (step > 0) writeSamples();
    if (step !== lastSaved || !existsSync(join(out, CHECKPOINT))) await save();
  } finally {
    progress.stop();
    await replicas?.close();
    gan.dispose();
    ema?.dispose();
  }
  return { status, step, target, seconds: secondsBefore + elapsed(), backend, last };
}

const diverged = (what: string, lastSaved: number, out: string) =>
  new TrainingError(
    `training diverged: ${what}. Stopped without saving; the last good checkpoint ` +
      `(step ${lastSaved}) is in ${join(out, CHECKPOINT)}. Try a lower --lr or another --seed.`,
    3,
  );

function eta(
  c: TrainConfig,
  target: number | null,
  step: number,
  sps: number,
  elapsedSec: number,
): number | null {
  const byTime = c.maxMinutes !== null ? c.maxMinutes * 60 - elapsedSec : Number.POSITIVE_INFINITY;
  const bySteps = target !== null && sps > 0 ? (target - step) / sps : Number.POSITIVE_INFINITY;
  const e = Math.min(byTime, bySteps);
  return Number.isFinite(e) ? Math.max(0, e) : null;
}

/** A fresh run in a folder whose earlier run died before its first checkpoint: drop its leftovers. */
function clearUncheckpointedRun(out: string, log: (line: string) => void): void {
  const leftovers = ['metrics.jsonl', 'losses.svg', 'config.json', 'samples'].filter((f) =>
    existsSync(join(out, f)),
  );
  if (!leftovers.length) return;
  log(`note: ${out} holds a run that never reached a checkpoint; removing its ${leftovers.join(', ')}`);
  for (const f of leftovers) rmSync(join(out, f), { recursive: true, force: true });
}

/** The recipe in one phrase, for the run's first lines. */
function describeRecipe(c: TrainConfig): string {
  const parts = [`lr G ${c.lr}, D ${c.lrD ?? c.lr}`];
  if (c.dWidth !== 1) parts.push(`D width x${c.dWidth}`);
  if (c.modeSeeking > 0) parts.push(`mode seeking ${c.modeSeeking}`);
  if (c.r1Gamma > 0) parts.push(`R1 γ ${c.r1Gamma}`);
  if (c.topKMin !== null) parts.push(`top-k down to ${c.topKMin} (×${c.topKDecay}/epoch)`);
  parts.push(c.ema ? 'EMA of G' : 'no EMA');
  if (c.ema && c.emaHalfLifeSteps !== null) parts.push(`EMA half-life ${c.emaHalfLifeSteps} steps`);
  if (c.annealFrom !== null)
    parts.push(
      `lr annealed to 0 from step ${c.annealFrom}${c.annealRestart === null ? '' : `, restarting at ${c.annealRestart}`}${c.lrSchedule === 'linear' ? '' : ` (${c.lrSchedule})`}`,
    );
  return parts.join(', ');
}
