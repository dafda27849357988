import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendInfo, selectBackend } from './backend.ts';
import { lossChartSvg } from './chart.ts';
import {
  CHECKPOINT,
  type CheckpointState,
  readCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from './checkpoint.ts';
import { RUN_IDENTITY, type TrainConfig, targetSteps } from './config.ts';
import { loadMnist, PIXELS } from './data/mnist.ts';
import { writeFileAtomic } from './fs-atomic.ts';
import { type Batch, GanTrainer, type StepStats } from './gan.ts';
import { getPreset, type Preset } from './models/presets.ts';
import { createProgress } from './progress.ts';
import { Rng, type RngState } from './rng.ts';
import { gridPng } from './samples.ts';

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
  backend: BackendInfo;
  last: StepStats | null;
}

export interface TrainOptions {
  /** Aborting stops the run after the current step, with a checkpoint (SIGINT). */
  signal?: AbortSignal;
  isTTY?: boolean;
  /** Options the user set explicitly (a resume checks them against the checkpoint). */
  explicit?: ReadonlySet<keyof TrainConfig>;
  log?: (line: string) => void;
}

const SAMPLE_COLS = 8;

/** The fixed noise (and classes) of a run's sample grids: 8×8, or one row of 8 per class. */
export function sampleInputs(
  preset: Preset,
  seed: number,
): { noise: tf.Tensor2D; labels: tf.Tensor2D | null; rows: number } {
  const rows = preset.classes > 0 ? preset.classes : SAMPLE_COLS;
  const n = rows * SAMPLE_COLS;
  const noise = tf.tensor2d(new Rng(seed + 0x5eed).normals(n * preset.latentDim), [n, preset.latentDim]);
  const labels =
    preset.classes > 0
      ? tf.tensor2d(
          Array.from({ length: n }, (_, i) => Math.floor(i / SAMPLE_COLS)),
          [n, 1],
        )
      : null;
  return { noise, labels, rows };
}

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
  if (ckpt) run = resumedConfig(config, ckpt.state, opts.explicit ?? new Set());

  const backend = await selectBackend(run.backend, run.requireGpu, log);
  log(`backend: ${backend.name} on ${backend.device}`);
  mkdirSync(join(out, 'samples'), { recursive: true });

  // ---- data: the real MNIST training digits in [-1, 1]
  const mnist = loadMnist('train');
  const count = run.trainDigits ?? mnist.count;
  const stepsPerEpoch = Math.floor(count / run.batchSize);
  if (stepsPerEpoch < 1)
    throw new TrainingError(`--batch-size ${run.batchSize} exceeds the ${count} digits`, 2);
  const target = targetSteps(run, stepsPerEpoch);

  // ---- models and optimizers; all randomness from one seeded stream
  const preset = getPreset(run.preset);
  let rng = new Rng(run.seed);
  const seeds = { next: () => rng.seed() };
  const generator = preset.generator(seeds);
  const discriminator = preset.discriminator(seeds);
  const gOptimizer = tf.train.adam(run.lr, run.beta1);
  const dOptimizer = tf.train.adam(run.lr, run.beta1);
  const trainer = new GanTrainer(generator, discriminator, gOptimizer, dOptimizer, preset.classes);
  const state = { generator, discriminator, gOptimizer, dOptimizer };

  let step = 0;
  let secondsBefore = 0;
  if (ckpt) {
    await restoreCheckpoint(ckpt, state);
    step = ckpt.state.step;
    secondsBefore = ckpt.state.seconds;
    rng = new Rng(ckpt.state.rng as RngState);
    truncateMetrics(out, step);
    log(`resumed from ${ckpt.dir} at step ${step}`);
  } else {
    writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(run, null, 2)}\n`);
  }
  log(
    `preset ${preset.name}: G ${generator.countParams().toLocaleString()} params, D ${discriminator.countParams().toLocaleString()}; ` +
      `${count} digits, batch ${run.batchSize}, ${stepsPerEpoch} steps/epoch, target ${target ?? 'until time runs out'}`,
  );

  // ---- fixed inputs for sample grids (one row per class when conditional)
  const { noise: fixedNoise, labels: fixedLabels, rows: sampleRows } = sampleInputs(preset, run.seed);
  const writeSamples = (atStep: number) => {
    const images = tf.tidy(() =>
      (
        generator.predict(fixedLabels ? [fixedNoise, fixedLabels] : fixedNoise) as tf.Tensor
      ).dataSync<'float32'>(),
    );
    const name = `step-${String(atStep).padStart(6, '0')}.png`;
    writeFileAtomic(join(out, 'samples', name), gridPng(images, sampleRows, SAMPLE_COLS));
  };

  // ---- batches: a fresh permutation per epoch, recomputable from (seed, epoch) on resume
  let permEpoch = -1;
  let perm: Uint32Array = new Uint32Array(0);
  const makeBatch = (s: number): Batch => {
    const epoch = Math.floor(s / stepsPerEpoch);
    if (epoch !== permEpoch) {
      perm = new Rng(run.seed * 1009 + epoch + 1).permutation(count);
      permEpoch = epoch;
    }
    const start = (s % stepsPerEpoch) * run.batchSize;
    const real = new Float32Array(run.batchSize * PIXELS);
    const labels = new Float32Array(run.batchSize);
    for (let i = 0; i < run.batchSize; i++) {
      const idx = perm[start + i];
      real.set(mnist.images.subarray(idx * PIXELS, (idx + 1) * PIXELS), i * PIXELS);
      labels[i] = mnist.labels[idx];
    }
    const cond = preset.classes > 0;
    return {
      real: tf.tensor4d(real, [run.batchSize, 28, 28, 1]),
      realLabels: cond ? tf.tensor2d(labels, [run.batchSize, 1]) : null,
      noise: tf.tensor2d(rng.normals(run.batchSize * preset.latentDim), [run.batchSize, preset.latentDim]),
      fakeLabels: cond
        ? tf.tensor2d(
            Array.from({ length: run.batchSize }, () => rng.int(preset.classes)),
            [run.batchSize, 1],
          )
        : null,
    };
  };

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  let lastSaved = step;
  const save = async () => {
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

  // ---- the loop
  const progress = createProgress(opts.isTTY ?? false, run.logEvery);
  const window: StepStats[] = [];
  let last: StepStats | null = null;
  let status: RunResult['status'] = 'finished';
  const loopStartStep = step;
  try {
    while (true) {
      if (target !== null && step >= target) break;
      if (run.maxMinutes !== null && elapsed() >= run.maxMinutes * 60) {
        status = 'time-limit';
        break;
      }
      if (opts.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const batch = makeBatch(step);
      const stats = trainer.step(batch);
      tf.dispose([batch.real, batch.realLabels, batch.noise, batch.fakeLabels].filter((t) => t !== null));
      if (![stats.dLoss, stats.gLoss].every(Number.isFinite)) {
        throw new TrainingError(
          `training diverged at step ${step + 1}: D loss ${stats.dLoss}, G loss ${stats.gLoss}. ` +
            `Stopped without saving; the last good checkpoint (step ${lastSaved}) is in ${join(out, CHECKPOINT)}. ` +
            'Try a lower --lr or another --seed.',
          3,
        );
      }
      step++;
      last = stats;
      window.push(stats);

      const sps = (step - loopStartStep) / Math.max(elapsed(), 1e-9);
      progress.update(step, target, stats, sps, eta(run, target, step, sps, elapsed()));
      if (step % run.logEvery === 0 || step === target) {
        appendMetrics(out, step, stepsPerEpoch, window.splice(0), sps, secondsBefore + elapsed());
      }
      if (step % run.sampleEvery === 0) writeSamples(step);
      if (step % run.checkpointEvery === 0) await save();
      // Lets signal handlers run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (window.length)
      appendMetrics(out, step, stepsPerEpoch, window.splice(0), 0, secondsBefore + elapsed());
    if (step > 0) writeSamples(step);
    if (step !== lastSaved || !existsSync(join(out, CHECKPOINT))) await save();
  } finally {
    progress.stop();
    tf.dispose([fixedNoise, fixedLabels].filter((t) => t !== null));
  }
  return { status, step, target, seconds: secondsBefore + elapsed(), backend, last };
}

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

/** A resumed run keeps the checkpoint's identity; only the budget and outputs may change. */
function resumedConfig(
  cli: TrainConfig,
  saved: CheckpointState,
  explicit: ReadonlySet<keyof TrainConfig>,
): TrainConfig {
  const prev = saved.config as TrainConfig;
  for (const key of RUN_IDENTITY) {
    if (explicit.has(key) && cli[key] !== prev[key]) {
      throw new TrainingError(`--resume: --${key} ${cli[key]} differs from the checkpoint's ${prev[key]}`, 2);
    }
  }
  return {
    ...prev,
    out: cli.out,
    resume: true,
    backend: explicit.has('backend') ? cli.backend : prev.backend,
    requireGpu: cli.requireGpu,
    maxMinutes: explicit.has('maxMinutes') ? cli.maxMinutes : prev.maxMinutes,
  };
}

function appendMetrics(
  out: string,
  step: number,
  stepsPerEpoch: number,
  window: StepStats[],
  stepsPerSec: number,
  seconds: number,
): void {
  const mean = (k: keyof StepStats) => window.reduce((a, s) => a + s[k], 0) / window.length;
  const line = {
    step,
    epoch: +(step / stepsPerEpoch).toFixed(3),
    dLoss: mean('dLoss'),
    gLoss: mean('gLoss'),
    dReal: mean('dReal'),
    dFake: mean('dFake'),
    stepsPerSec: +stepsPerSec.toFixed(3),
    seconds: +seconds.toFixed(1),
    time: new Date().toISOString(),
  };
  const file = join(out, 'metrics.jsonl');
  appendFileSync(file, `${JSON.stringify(line)}\n`);
  const points = readMetrics(out);
  writeFileAtomic(
    join(out, 'losses.svg'),
    lossChartSvg(points, `GAN losses (mean per ${window.length} steps)`),
  );
}

export function readMetrics(out: string): { step: number; dLoss: number; gLoss: number }[] {
  const file = join(out, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { step: number; dLoss: number; gLoss: number }];
      } catch {
        return []; // a line cut by a kill
      }
    });
}

/** Drops metric lines logged after the checkpoint a resume starts from, so steps never repeat. */
function truncateMetrics(out: string, step: number): void {
  const file = join(out, 'metrics.jsonl');
  if (!existsSync(file)) return;
  const kept = readMetrics(out).filter((m) => m.step <= step);
  writeFileAtomic(file, kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
}
