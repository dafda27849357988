// npm run bench:recipes -- --steps N [--out runs/recipes] [--only a,b] [--eval-samples N] [--train-digits N]
//
// The recipe table at equal steps: each recipe is `npm run pipeline -- --stages train,evaluate` into a
// folder of its own, one after another; a recipe already evaluated at N steps is skipped and one
// stopped half-way is continued (the pipeline resumes its checkpoint), so the same command picks up
// where a killed run left off. Ends with `npm run compare` over every finished recipe (both feature
// spaces). Meant to run for hours in the background (docs/training.md, "Measuring recipes").
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { command, integer, listOf, parseOrExit } from '../../lib/command.ts';
import { readResult } from '../../pipeline/records.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';

const BATCH = 64;
const TRAIN_DIGITS = 60_000;

interface Recipe {
  name: string;
  what: string;
  flags: string[];
  /** Why the recipe is left out at this budget (it would be the shipped recipe again), or null. */
  skip: string | null;
}

/**
 * The recipe shipped when this bench was written (EMA of G, TTUR, R1 γ 1, both rates annealed to 0
 * over the second half; the model shipped since adds D ×2 and a second fall: docs/training.md) and
 * one change each. Top-k's share falls from the whole batch to half of it by mid-run (the paper's
 * 0.99 per epoch is meant for hundreds of epochs); the long EMA lets the StyleGAN2-ADA ramp (half-life
 * ≤ 5 % of the steps so far) run to the end instead of stopping at 312.5 steps.
 */
function recipes(steps: number, digits: number): Recipe[] {
  const shipped = ['--r1-gamma', '1', '--anneal-from', String(Math.floor(steps / 2))];
  const epochs = steps / Math.floor(digits / BATCH);
  const decay = Math.min(0.99, 0.5 ** (1 / Math.max(epochs / 2, 1))).toFixed(3);
  const emaHalfLife = Math.round(0.05 * steps);
  return [
    { name: 'shipped', what: 'EMA, TTUR, R1 γ 1, annealed from half', flags: shipped, skip: null },
    {
      name: 'top-k',
      what: `+ top-k, share ×${decay} per epoch down to 0.5`,
      flags: [...shipped, '--top-k-min', '0.5', '--top-k-decay', decay],
      skip:
        epochs < 1 ? `shorter than an epoch (${Math.floor(digits / BATCH)} steps): top-k never starts` : null,
    },
    { name: 'd-wide', what: '+ D ×2 wide', flags: [...shipped, '--d-width', '2'], skip: null },
    {
      name: 'ema-long',
      what: `+ EMA half-life ${emaHalfLife} steps (the ramp to the end)`,
      flags: [...shipped, '--ema-half-life-steps', String(emaHalfLife)],
      skip:
        emaHalfLife <= 312.5
          ? `at ${steps} steps the ramp never passes the default half-life (312.5 steps, reached at step 6,250): the shipped recipe again`
          : null,
    },
    {
      name: 'cosine',
      what: '+ cosine learning-rate schedule',
      flags: [...shipped, '--lr-schedule', 'cosine'],
      skip: null,
    },
  ];
}

const program = command(
  'npm run bench:recipes --',
  'Train and evaluate each recipe at equal steps, one after another; resumable.',
)
  .requiredOption('--steps <n>', 'training steps of every recipe (required)', integer('--steps', 2))
  .option('--out <dir>', 'parent folder: one run folder per recipe, and its log', 'runs/recipes')
  .addOption(
    listOf(
      '--only <list>',
      'these recipes only',
      recipes(4000, TRAIN_DIGITS).map((r) => r.name),
    ),
  )
  .option('--eval-samples <n>', 'digits per evaluation', integer('--eval-samples', 100), 10_000)
  .option(
    '--train-digits <n>',
    'train on the first n digits (a quick try of this script)',
    integer('--train-digits', BATCH),
  );

const o = parseOrExit<{
  steps: number;
  out: string;
  only: string[];
  evalSamples: number;
  trainDigits?: number;
}>(program);
const digits = o.trainDigits ?? TRAIN_DIGITS;
const chosen = recipes(o.steps, digits).filter((r) => o.only.includes(r.name));
mkdirSync(o.out, { recursive: true });

/** Evaluated at the full budget already (the pipeline recorded it, after training to `steps`). */
function finished(dir: string): boolean {
  const evaluated = readResult(dir, 'evaluate');
  return evaluated !== null && readCheckpoint(dir)?.state.step === o.steps;
}

let stopping = false;
let child: ReturnType<typeof spawn> | null = null;
// Ctrl-C or a kill: the pipeline finishes its step and saves a checkpoint; the same command continues.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stopping = true;
    child?.kill('SIGINT');
  });

/** Runs one recipe's pipeline, its output appended to `<out>/<name>.log`; resolves to its exit code. */
function pipeline(r: Recipe, dir: string): Promise<number> {
  const args = [
    '--single-threaded-gc',
    '--max-semi-space-size=32',
    '--import',
    'tsx',
    'bin/pipeline.ts',
    '--stages',
    'train,evaluate',
    '--out',
    dir,
    '--steps',
    String(o.steps),
    '--eval-samples',
    String(o.evalSamples),
    ...(o.trainDigits ? ['--train-digits', String(o.trainDigits)] : []),
    ...r.flags,
  ];
  const log = createWriteStream(join(o.out, `${r.name}.log`), { flags: 'a' });
  log.write(`\n$ node ${args.join(' ')}\n`);
  return new Promise((done) => {
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.on('close', (code) => {
      child = null;
      // Every line written before going on (the script may exit right after).
      log.end(() => done(code ?? 1));
    });
  });
}

const failed: string[] = [];
for (const [i, r] of chosen.entries()) {
  if (stopping) break;
  const dir = join(o.out, r.name);
  const head = `recipe ${i + 1} of ${chosen.length}: ${r.name} (${r.what})`;
  if (r.skip) {
    console.log(`${head}: left out: ${r.skip}`);
    continue;
  }
  if (finished(dir)) {
    console.log(`${head}: evaluated at ${o.steps} steps already`);
    continue;
  }
  console.log(`${head}: ${r.flags.join(' ')} → ${dir} (log: ${join(o.out, `${r.name}.log`)})`);
  const started = performance.now();
  const code = await pipeline(r, dir);
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  if (stopping) console.log(`  stopped after ${minutes} min: it continues from its last checkpoint`);
  else if (code === 0) console.log(`  done in ${minutes} min`);
  else {
    console.log(`  failed (exit ${code}) after ${minutes} min: see the log; the same command continues`);
    failed.push(r.name);
  }
}

const done = chosen.map((r) => join(o.out, r.name)).filter(finished);
if (done.length) {
  console.log(`\n${done.length} recipe(s) at ${o.steps} steps (npm run compare):\n`);
  const compare = spawn(process.execPath, ['--import', 'tsx', 'bin/compare.ts', ...done, '--markdown'], {
    stdio: 'inherit',
  });
  await new Promise((resolve) => compare.on('close', resolve));
}
if (stopping) console.log('stopped: the same command continues where it left off');
process.exit(stopping ? 130 : failed.length ? 1 : 0);
