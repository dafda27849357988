// The training options every program that trains shares (`npm run train`, `npm run pipeline`), and
// the run config they make: one list, so both programs take the same flags with the same meaning.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { PRESET_NAMES } from '../contract/index.ts';
import { choice, integer, nonNegative, positive, probability, UsageError } from '../lib/command.ts';
import { LR_SCHEDULES, type LrSchedule } from './anneal.ts';
import { BACKENDS } from './backend.ts';
import { DEFAULT_STEPS, DEFAULTS, MAX_THREADS, type TrainConfig, trainConfigSchema } from './config.ts';

const int = (flag: string) => integer(flag, 1);

/** Adds the training flags (all but --out and --resume, which each program words itself). */
export function addTrainingOptions(program: Command): Command {
  return program
    .addOption(choice('--preset <name>', 'architecture', PRESET_NAMES).default(DEFAULTS.preset))
    .option(
      '--steps <n>',
      `stop after n steps (default ${DEFAULT_STEPS} if no other limit is given)`,
      int('--steps'),
    )
    .option('--epochs <n>', 'stop after n passes over the data (default: no limit)', positive('--epochs'))
    .option(
      '--max-minutes <n>',
      "stop after n minutes of training, this invocation's budget (default: no limit)",
      positive('--max-minutes'),
    )
    .option('--batch-size <n>', 'digits per step', int('--batch-size'), DEFAULTS.batchSize)
    .option('--lr <x>', 'Adam learning rate, both networks', positive('--lr'), DEFAULTS.lr)
    .option(
      '--lr-d <x>',
      `D's learning rate (default ${DEFAULTS.lrD}: a two time-scale update rule, D 4x G's default)`,
      positive('--lr-d'),
    )
    .option('--d-width <n>', "multiplies D's channels (D is not shipped)", int('--d-width'), DEFAULTS.dWidth)
    .option(
      '--mode-seeking <x>',
      'weight of the mode-seeking diversity term (0 = off)',
      nonNegative('--mode-seeking'),
      DEFAULTS.modeSeeking,
    )
    .option(
      '--r1-gamma <x>',
      "weight of the R1 penalty on D's gradient at real digits (0 = off)",
      nonNegative('--r1-gamma'),
      DEFAULTS.r1Gamma,
    )
    .option(
      '--anneal-from <step>',
      'from this step on, both learning rates fall linearly to 0 at the final step; may be set on --resume (default: off)',
      integer('--anneal-from'),
    )
    .option(
      '--anneal-restart <step>',
      'the learning rates first fall to 0 at this step, then restart on the fall from --anneal-from to the final step (the shipped model: 10,000 / 20,000 / 30,000); may be set on --resume (default: one fall)',
      integer('--anneal-restart'),
    )
    .addOption(
      choice(
        '--lr-schedule <name>',
        'how the learning rates fall from --anneal-from to 0: a straight line or half a cosine; may be set on --resume',
        LR_SCHEDULES,
      ).default(DEFAULTS.lrSchedule),
    )
    .option(
      '--top-k-min <x>',
      "top-k training: G learns only from the share of each batch's fakes D scores highest, shrinking from all of them to x, in (0, 1] (default: off)",
      probability('--top-k-min'),
    )
    .option(
      '--top-k-decay <x>',
      `top-k training: the kept share is multiplied by x each epoch until it reaches --top-k-min (default ${DEFAULTS.topKDecay})`,
      probability('--top-k-decay'),
    )
    .option('--no-ema', 'keep no moving average of G (samples and export then use the raw G)')
    .option(
      '--ema-half-life-steps <n>',
      "the moving average of G's half-life in steps, reached by StyleGAN2-ADA's ramp (default: 10,000·batch/32 images, 312.5 steps at batch 64)",
      positive('--ema-half-life-steps'),
    )
    .option('--beta1 <x>', "Adam's beta1, in [0, 0.999]", nonNegative('--beta1'), DEFAULTS.beta1)
    .option('--seed <n>', 'same seed and backend => same run', integer('--seed'), DEFAULTS.seed)
    .addOption(
      choice(
        '--backend <name>',
        'compute backend (auto tries tfjs-node-gpu, WebGPU on a hardware adapter, tfjs-node, wasm, cpu)',
        BACKENDS,
      ).default(DEFAULTS.backend),
    )
    .option(
      '--threads <n>',
      'data-parallel training threads on the wasm/cpu backends (default: all cores; same seed and threads => same run)',
      int('--threads'),
    )
    .option(
      '--require-gpu',
      'fail unless training runs on a GPU (not tfjs-node-gpu on the CPU, not WebGPU on a software adapter)',
      false,
    )
    .option('--log-every <n>', 'steps between metric lines', int('--log-every'), DEFAULTS.logEvery)
    .option('--sample-every <n>', 'steps between sample grids', int('--sample-every'), DEFAULTS.sampleEvery)
    .option(
      '--checkpoint-every <n>',
      'steps between checkpoints',
      int('--checkpoint-every'),
      DEFAULTS.checkpointEvery,
    )
    .option(
      '--train-digits <n>',
      'use only the first n training digits, for quick experiments (default: all 60,000)',
      int('--train-digits'),
    );
}

/** What commander parses into; its keys are TrainConfig's where both have them (see `explicitOptions`). */
export interface TrainingOptions {
  preset: TrainConfig['preset'];
  steps?: number;
  epochs?: number;
  maxMinutes?: number;
  batchSize: number;
  lr: number;
  lrD?: number;
  dWidth: number;
  modeSeeking: number;
  r1Gamma: number;
  annealFrom?: number;
  annealRestart?: number;
  lrSchedule: LrSchedule;
  topKMin?: number;
  topKDecay?: number;
  ema: boolean;
  emaHalfLifeSteps?: number;
  beta1: number;
  seed: number;
  out?: string;
  resume: boolean;
  backend: TrainConfig['backend'];
  threads?: number;
  requireGpu: boolean;
  logEvery: number;
  sampleEvery: number;
  checkpointEvery: number;
  trainDigits?: number;
}

/** All cores, or fewer where the batch does not split evenly into shares of at least 2 digits. */
function defaultThreads(batchSize: number): number {
  for (let t = Math.min(availableParallelism(), MAX_THREADS); t > 1; t--) {
    if (batchSize % t === 0 && batchSize / t >= 2) return t;
  }
  return 1;
}

/** The run's settings from the options; a contradiction is a usage error naming the flag. */
export function trainConfigFrom(o: TrainingOptions): TrainConfig {
  if (o.resume && !o.out) throw new UsageError('--resume needs --out <dir> (the run to continue)');
  if (!o.resume && o.topKDecay !== undefined && o.topKMin === undefined)
    throw new UsageError('--top-k-decay needs --top-k-min (top-k training is off without it)');
  if (!o.ema && o.emaHalfLifeSteps !== undefined)
    throw new UsageError('--ema-half-life-steps needs the moving average (drop --no-ema)');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z');
  const parsed = trainConfigSchema.safeParse({
    preset: o.preset,
    steps: o.steps ?? null,
    epochs: o.epochs ?? null,
    maxMinutes: o.maxMinutes ?? null,
    batchSize: o.batchSize,
    lr: o.lr,
    beta1: o.beta1,
    seed: o.seed,
    out: o.out ?? `runs/${o.preset}-${stamp}`,
    resume: o.resume,
    backend: o.backend,
    requireGpu: o.requireGpu,
    logEvery: o.logEvery,
    sampleEvery: o.sampleEvery,
    checkpointEvery: o.checkpointEvery,
    trainDigits: o.trainDigits ?? null,
    threads: o.threads ?? defaultThreads(o.batchSize),
    lrD: o.lrD ?? DEFAULTS.lrD,
    dWidth: o.dWidth,
    modeSeeking: o.modeSeeking,
    r1Gamma: o.r1Gamma,
    ema: o.ema,
    annealFrom: o.annealFrom ?? null,
    annealRestart: o.annealRestart ?? null,
    lrSchedule: o.lrSchedule,
    topKMin: o.topKMin ?? null,
    topKDecay: o.topKDecay ?? DEFAULTS.topKDecay,
    emaHalfLifeSteps: o.emaHalfLifeSteps ?? null,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return parsed.data;
}

/** The training options the user set on the command line (a resume checks them against the checkpoint). */
export function explicitOptions(program: Command, o: object): Set<keyof TrainConfig> {
  return new Set(
    (Object.keys(o) as (keyof TrainConfig)[]).filter((k) => program.getOptionValueSource(k) === 'cli'),
  );
}
