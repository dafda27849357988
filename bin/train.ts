import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { PRESET_NAMES } from '../contract/index.ts';
import { choice, command, integer, nonNegative, parse, positive, run, UsageError } from '../lib/command.ts';
import { defaultExportDir, exportRun } from '../model/export/finish.ts';
import { BACKENDS } from '../train/backend.ts';
import {
  DEFAULT_STEPS,
  DEFAULTS,
  MAX_THREADS,
  type TrainConfig,
  trainConfigSchema,
} from '../train/config.ts';
import { formatDuration } from '../train/progress.ts';
import { TrainingError, train } from '../train/train.ts';

const int = (flag: string) => integer(flag, 1);

const program = command(
  'npm run train --',
  'Train a GAN on the MNIST digits. Writes metrics.jsonl, losses.svg, samples/ and an atomic checkpoint/ into --out.',
)
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
  .option('--no-ema', 'keep no moving average of G (samples and export then use the raw G)')
  .option('--beta1 <x>', "Adam's beta1, in [0, 0.999]", nonNegative('--beta1'), DEFAULTS.beta1)
  .option('--seed <n>', 'same seed and backend => same run', integer('--seed'), DEFAULTS.seed)
  .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
  .option('--resume', 'continue the run in --out from its last checkpoint, to the same final step', false)
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
  )
  .option('--no-export', 'skip evaluating and exporting the final checkpoint (uint8, into <out>/export)')
  .option('--eval-samples <n>', 'digits generated for the final evaluation', int('--eval-samples'), 10_000);

/** What commander parses into; its keys are TrainConfig's where both have them (see `explicit`). */
interface TrainOptions {
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
  ema: boolean;
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
  export: boolean;
  evalSamples: number;
}

/** All cores, or fewer where the batch does not split evenly into shares of at least 2 digits. */
function defaultThreads(batchSize: number): number {
  for (let t = Math.min(availableParallelism(), MAX_THREADS); t > 1; t--) {
    if (batchSize % t === 0 && batchSize / t >= 2) return t;
  }
  return 1;
}

/** The run's settings from the options; a contradiction is a usage error naming the flag. */
function configFrom(o: TrainOptions): TrainConfig {
  if (o.resume && !o.out) throw new UsageError('--resume needs --out <dir> (the run to continue)');
  if (o.export && o.evalSamples < 100)
    throw new UsageError(`--eval-samples must be at least 100, got ${o.evalSamples}`);
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
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return parsed.data;
}

run(
  async () => {
    const o = parse<TrainOptions>(program);
    const config = configFrom(o);
    const explicit = new Set(
      (Object.keys(o) as (keyof TrainConfig)[]).filter((k) => program.getOptionValueSource(k) === 'cli'),
    );

    // `npm run train | head` closes our stdout early: keep training rather than die on EPIPE.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });

    // First Ctrl-C: finish the step, save a checkpoint, exit. Another one a while later: leave now
    // (checkpoints are atomic). One key press can arrive twice at once (the terminal signals the whole
    // process group and npm forwards it too), so a repeat within two seconds counts as the same one.
    const abort = new AbortController();
    let firstInterrupt = 0;
    process.on('SIGINT', () => {
      if (!abort.signal.aborted) {
        firstInterrupt = Date.now();
        console.error('\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to quit now)');
        abort.abort();
      } else if (Date.now() - firstInterrupt > 2000) {
        process.exit(130);
      }
    });

    const r = await train(config, { signal: abort.signal, isTTY: process.stdout.isTTY === true, explicit });
    const how = {
      finished: 'finished',
      'time-limit': 'stopped at the time limit',
      interrupted: 'interrupted',
    }[r.status];
    console.log(
      `${how} at step ${r.step}${r.target ? `/${r.target}` : ''} after ${formatDuration(r.seconds)} on ${r.backend.name}` +
        (r.last ? ` (D ${r.last.dLoss.toFixed(3)}, G ${r.last.gLoss.toFixed(3)})` : ''),
    );
    console.log(`run folder: ${config.out} (checkpoint/, samples/, metrics.jsonl, losses.svg)`);
    if (r.status !== 'finished' && (r.target === null || r.step < r.target)) {
      console.log(`resume with: npm run train -- --out ${config.out} --resume`);
    }
    if (o.export && r.status !== 'interrupted') {
      // Evaluate and export the final checkpoint (uint8), as the publishing step will want it.
      const exportDir = defaultExportDir(config.out);
      const manifest = await exportRun(config.out, exportDir, {
        quantization: 'uint8',
        samples: o.evalSamples,
        reportFile: join(config.out, 'report.json'),
        log: (l) => console.log(l),
      });
      console.log(
        `exported ${manifest.version} to ${exportDir} (report: ${join(config.out, 'report.json')})`,
      );
    }
    return r.status === 'interrupted' ? 130 : 0;
  },
  // A diverged run exits 3, a crashed training thread 4, a refused run folder 2 (see TrainingError).
  (e) => (e instanceof TrainingError ? e.exitCode : 1),
);
