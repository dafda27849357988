import { z } from 'zod';
import { PRESET_NAMES } from '../contract/index.ts';
import { no, ok, type Result } from '../lib/result.ts';
import { LR_SCHEDULES } from './anneal.ts';
import { BACKENDS } from './backend.ts';

export const MAX_THREADS = 64;

/** Everything that defines a training run. Stored in the checkpoint, so a resume continues the same run. */
export const trainConfigSchema = z.object({
  preset: z.enum(PRESET_NAMES),
  /** Stop after this many steps / epochs / minutes, whichever comes first (null = no such limit). */
  steps: z.number().int().positive().nullable(),
  epochs: z.number().positive().nullable(),
  maxMinutes: z.number().positive().nullable(),
  batchSize: z.number().int().min(2).max(4096),
  lr: z.number().positive().max(1),
  beta1: z.number().min(0).max(0.999),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1),
  out: z.string().min(1),
  resume: z.boolean(),
  backend: z.enum(BACKENDS),
  requireGpu: z.boolean(),
  logEvery: z.number().int().positive(),
  sampleEvery: z.number().int().positive(),
  checkpointEvery: z.number().int().positive(),
  /** Train on the first N training digits only (quick experiments and tests); null = all 60,000. */
  trainDigits: z.number().int().positive().max(60_000).nullable(),
  /** Data-parallel threads on the wasm/cpu backends (absent from checkpoints made before threads: 1). */
  threads: z.number().int().min(1).max(MAX_THREADS).default(1),
  // The recipe (defaults of older checkpoints in brackets, so they resume as they ran).
  /** D's Adam learning rate; null = --lr (TTUR when it differs: Heusel et al. 2017). */
  lrD: z.number().positive().max(1).nullable().default(null),
  /** D's channel multiplier (D is not shipped: its size costs only training time). [1] */
  dWidth: z.number().int().min(1).max(8).default(1),
  /** Mode-seeking regularisation weight (Mao et al. 2019); 0 = off. [0] */
  modeSeeking: z.number().min(0).max(100).default(0),
  /** R1 penalty weight on real digits (Mescheder et al. 2018); 0 = off. [0] */
  r1Gamma: z.number().min(0).max(1000).default(0),
  /** Keep an exponential moving average of G (samples, evaluation, export use it). [false] */
  ema: z.boolean().default(false),
  /** From this step on, both learning rates fall linearly to 0 at the final step (train/anneal.ts); null = never. [null] */
  annealFrom: z.number().int().nonnegative().nullable().default(null),
  /** Where a first fall from annealFrom ends before the rates restart on the fall to the final step (train/anneal.ts); null = one fall. [null] */
  annealRestart: z.number().int().nonnegative().nullable().default(null),
  /** How the rates fall from annealFrom to the final step (train/anneal.ts). ['linear'] */
  lrSchedule: z.enum(LR_SCHEDULES).default('linear'),
  /** Top-k training (train/top-k.ts): the smallest share of each batch's fakes G learns from; null = off. [null] */
  topKMin: z.number().gt(0).max(1).nullable().default(null),
  /** Top-k: the kept share is multiplied by this each epoch until it reaches topKMin. [0.99] */
  topKDecay: z.number().gt(0).max(1).default(0.99),
  /** The EMA of G's final half-life in steps (train/ema.ts); null = StyleGAN2-ADA's 10k·batch/32 images. [null] */
  emaHalfLifeSteps: z.number().positive().max(1e7).nullable().default(null),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Used when none of --steps/--epochs/--max-minutes is given. */
export const DEFAULT_STEPS = 5000;

export const DEFAULTS = {
  preset: 'fast-cond',
  batchSize: 64,
  lr: 2e-4,
  beta1: 0.5,
  seed: 1,
  backend: 'auto',
  logEvery: 50,
  sampleEvery: 500,
  checkpointEvery: 500,
  // The recipe, chosen by measurement (README, "The recipe").
  lrD: 8e-4,
  dWidth: 1,
  modeSeeking: 0,
  r1Gamma: 0,
  ema: true,
  lrSchedule: 'linear',
  topKDecay: 0.99,
} as const;

/** The settings a resumed run must share with the checkpoint it continues (it runs to the same end). */
export const RUN_IDENTITY = [
  'preset',
  'batchSize',
  'lr',
  'beta1',
  'seed',
  'trainDigits',
  'lrD',
  'dWidth',
  'modeSeeking',
  'r1Gamma',
  'ema',
  'topKMin',
  'topKDecay',
  'emaHalfLifeSteps',
] as const;
/**
 * What a resume may change: the budget (a larger --steps/--epochs continues a finished run),
 * this invocation's time limit, backend, thread count and output cadence (another backend or
 * thread count continues the run, but not bit for bit).
 */
const RESUME_MAY_SET = [
  'steps',
  'epochs',
  'maxMinutes',
  'backend',
  'threads',
  'requireGpu',
  'logEvery',
  'sampleEvery',
  'checkpointEvery',
  // Annealing changes the run from its start step on: a plateaued run can be continued and annealed.
  'annealFrom',
  'annealRestart',
  'lrSchedule',
] as const;

/**
 * The config of a resumed run: the checkpoint's, with this invocation's budget and cadence where
 * the user set them; or why not, when an explicit option contradicts the checkpoint.
 */
export function resumedConfig(
  cli: TrainConfig,
  saved: TrainConfig,
  explicit: ReadonlySet<keyof TrainConfig>,
): Result<TrainConfig> {
  for (const key of RUN_IDENTITY) {
    if (explicit.has(key) && cli[key] !== saved[key]) {
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return no(`--resume: --${flag} ${cli[key]} differs from the checkpoint's ${saved[key]}`);
    }
  }
  const run: TrainConfig = { ...saved, out: cli.out, resume: true, requireGpu: cli.requireGpu };
  for (const key of RESUME_MAY_SET) {
    if (explicit.has(key)) Object.assign(run, { [key]: cli[key] });
  }
  return ok(run);
}

/** The step the run ends at, or null when only a time budget limits it. */
export function targetSteps(c: TrainConfig, stepsPerEpoch: number): number | null {
  const limits: number[] = [];
  if (c.steps !== null) limits.push(c.steps);
  if (c.epochs !== null) limits.push(Math.max(1, Math.round(c.epochs * stepsPerEpoch)));
  if (limits.length === 0 && c.maxMinutes === null) limits.push(DEFAULT_STEPS);
  return limits.length ? Math.min(...limits) : null;
}
