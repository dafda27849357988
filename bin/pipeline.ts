// npm run pipeline -- [training options] [--out DIR] [--from STAGE | --stages a,b] [--target local|r2]
//
// The one program that turns the MNIST digits into a promoted model, the same on this CPU and on the
// GPU runner: train → evaluate → export → gate → publish (which promotes unless the model is worse
// than the promoted one). Each stage records what it did in <run>/pipeline/<stage>.json, so any stage
// can be re-run or continued: `--from publish` after an R2 error uploads the same version again.
// Exit codes: 0 done, 1 a stage failed, 2 usage, 3 training diverged, 4 a training thread crashed,
// 10 the gate refused the model, 75 --max-minutes ran out before the final step, 130 interrupted.
import { Option } from 'commander';
import { QUANTIZATIONS, type Quantization } from '../contract/index.ts';
import {
  choice,
  command,
  integer,
  listOf,
  nonNegative,
  parse,
  probability,
  run,
  UsageError,
} from '../lib/command.ts';
import { errorMessage } from '../lib/errors.ts';
import { INTERRUPTED_EXIT, ignoreClosedStdout, interruptSignal } from '../lib/interrupt.ts';
import { RETRAIN_GATE } from '../model/gate.ts';
import { continueCommand } from '../pipeline/continue-command.ts';
import {
  GATE_REFUSED_EXIT,
  hashOutputs,
  MissingInputError,
  recordFile,
  STAGES,
  type Stage,
  writeRecord,
} from '../pipeline/records.ts';
import type { StageContext, StageOutcome } from '../pipeline/stages/context.ts';
import { evaluateStage } from '../pipeline/stages/evaluate.ts';
import { exportStage } from '../pipeline/stages/export.ts';
import { gateStage } from '../pipeline/stages/gate.ts';
import { publishStage } from '../pipeline/stages/publish.ts';
import { InterruptedError, OutOfTimeError, trainStage } from '../pipeline/stages/train.ts';
import { DEFAULT_PERSIST_DIR } from '../release/wrangler-env.ts';
import { selectBackend } from '../train/backend.ts';
import {
  addTrainingOptions,
  explicitOptions,
  type TrainingOptions,
  trainConfigFrom,
} from '../train/options.ts';
import { formatDuration } from '../train/progress.ts';
import { OUT_OF_TIME_EXIT, TrainingError } from '../train/train.ts';

// ---- the command line: the training flags, then one group per stage
const program = addTrainingOptions(
  command(
    'npm run pipeline --',
    'Train, evaluate, export, gate and publish a model, each stage recorded in the run folder so any of them can be re-run or continued.',
  ),
)
  .option('--out <dir>', 'the run folder (default runs/<preset>-<time>); an existing one is continued')
  .addOption(new Option('--from <stage>', 'start at this stage and run the rest').choices(STAGES))
  .addOption(listOf('--stages <list>', 'run exactly these stages, in pipeline order', STAGES))
  .option('--eval-samples <n>', 'digits generated for the evaluation', integer('--eval-samples', 100), 10_000)
  .addOption(choice('--quantize <type>', 'weight precision of the export', QUANTIZATIONS).default('uint8'))
  .option('--no-gate', 'publish without judging the model (quick local tries)')
  .option(
    '--min-class-accuracy <x>',
    'gate: class accuracy at least x (conditional models)',
    probability('--min-class-accuracy'),
    RETRAIN_GATE.minClassAccuracy,
  )
  .option(
    '--min-class-accuracy-each <x>',
    "gate: every digit's class accuracy at least x (conditional models)",
    probability('--min-class-accuracy-each'),
    RETRAIN_GATE.minClassAccuracyEach,
  )
  .option('--max-fid <x>', 'gate: FID at most x', nonNegative('--max-fid'), RETRAIN_GATE.maxFid)
  .addOption(
    choice('--target <name>', 'where to publish: the local R2 `npm start` serves, or Cloudflare R2', [
      'local',
      'r2',
    ]).default('local'),
  )
  .option('--persist-to <dir>', "the local R2's folder (wrangler's --persist-to)", DEFAULT_PERSIST_DIR)
  .option('--no-promote', 'publish the version without making it the one clients get')
  .option('--force', 'promote even when the model is worse than the promoted one', false)
  .option(
    '--max-regression <p>',
    'publish without promoting a model more than p percent worse (FID, class accuracy) than the promoted one',
    nonNegative('--max-regression'),
    5,
  );

interface PipelineOptions extends TrainingOptions {
  from?: Stage;
  stages: Stage[];
  evalSamples: number;
  quantize: Quantization;
  gate: boolean;
  minClassAccuracy: number;
  minClassAccuracyEach: number;
  maxFid: number;
  target: 'local' | 'r2';
  persistTo: string;
  promote: boolean;
  force: boolean;
  maxRegression: number;
}

/** A stage's failure, worded for the one line the user sees; the original error is its cause. */
class StageError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StageError';
  }
}

/** The stages this invocation runs, in pipeline order. */
function plan(o: PipelineOptions): Stage[] {
  const listed = program.getOptionValueSource('stages') === 'cli';
  if (o.from && listed) throw new UsageError('give --from or --stages, not both');
  const stages = o.from ? STAGES.slice(STAGES.indexOf(o.from)) : STAGES.filter((s) => o.stages.includes(s));
  if (!stages.includes('train') && o.out === undefined)
    throw new UsageError(
      `--out <dir> is required to run ${stages.join(', ')} without training: the run folder to continue`,
    );
  return stages;
}

/** Runs one stage, timed, and records what it did (or how it failed) in the run folder. */
async function runStage<S extends Stage>(
  stage: S,
  ctx: StageContext,
  body: () => Promise<StageOutcome<S>> | StageOutcome<S>,
): Promise<StageOutcome<S>> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const outcome = await body();
    writeRecord(ctx.runDir, {
      stage,
      status: outcome.refused ? 'refused' : 'done',
      startedAt,
      seconds: seconds(),
      outputs: hashOutputs(ctx.runDir, outcome.outputs),
      result: outcome.result,
    });
    return outcome;
  } catch (e) {
    try {
      writeRecord(ctx.runDir, {
        stage,
        status: 'failed',
        startedAt,
        seconds: seconds(),
        outputs: [],
        error: errorMessage(e),
      });
    } catch {
      // The stage's own error is the one to report (a run folder that cannot be written says so there).
    }
    throw e;
  }
}

run(
  async () => {
    const o = parse<PipelineOptions>(program);
    const stages = plan(o);
    // The train stage continues a run folder that holds a checkpoint; --resume is not a pipeline flag.
    const config = trainConfigFrom({ ...o, resume: false });
    const runDir = config.out;
    const ctx: StageContext = {
      runDir,
      log: (line) => console.log(line),
      signal: interruptSignal('finishing the current step, saving a checkpoint'),
    };
    ignoreClosedStdout();
    const times: [Stage, number][] = [];
    let current: Stage = stages[0];

    try {
      // Training picks (and proves, with --require-gpu) its backend; the other stages need one too.
      if (!stages.includes('train') && (stages.includes('evaluate') || stages.includes('export')))
        await selectBackend(config.backend, false, ctx.log);

      for (const [i, stage] of stages.entries()) {
        current = stage;
        console.log(`\n── stage ${i + 1} of ${stages.length}: ${stage} (${runDir})`);
        const started = performance.now();
        let refused = false;
        if (stage === 'train') {
          await runStage('train', ctx, () => trainStage(config, explicitOptions(program, o), ctx));
        } else if (stage === 'evaluate') {
          await runStage('evaluate', ctx, () =>
            evaluateStage({ samples: o.evalSamples, ema: config.ema }, ctx),
          );
        } else if (stage === 'export') {
          await runStage('export', ctx, () =>
            exportStage({ quantization: o.quantize, ema: config.ema }, ctx),
          );
        } else if (stage === 'gate') {
          const rules = {
            minClassAccuracy: o.minClassAccuracy,
            minClassAccuracyEach: o.minClassAccuracyEach,
            maxFid: o.maxFid,
          };
          refused =
            (await runStage('gate', ctx, () => gateStage({ rules, skip: !o.gate }, ctx))).refused === true;
        } else {
          const r = await runStage('publish', ctx, () =>
            publishStage(
              {
                target: o.target,
                persistTo: o.persistTo,
                promote: o.promote,
                force: o.force,
                maxRegression: o.maxRegression,
              },
              ctx,
            ),
          );
          // A model worse than the promoted one is kept as a version, not failed: say so where CI shows it.
          if (!r.result.promoted && o.promote && process.env.GITHUB_ACTIONS === 'true')
            console.log(`::warning title=Published, not promoted::${r.result.notPromotedBecause}`);
          if (o.target === 'local') console.log('`npm start` serves the promoted model of the local R2');
        }
        const seconds = (performance.now() - started) / 1000;
        times.push([stage, seconds]);
        console.log(`stage ${stage}: ${refused ? 'REFUSED' : 'done'} in ${formatDuration(seconds)}`);
        if (refused) {
          console.log(
            `the gate refused the model: nothing after it runs (record: ${recordFile(runDir, 'gate')})`,
          );
          return GATE_REFUSED_EXIT;
        }
      }
    } catch (e) {
      const rest = stages.slice(stages.indexOf(current));
      const toTheEnd = rest.join() === STAGES.slice(STAGES.indexOf(current)).join();
      const again = continueCommand(
        process.argv.slice(2),
        runDir,
        toTheEnd ? ['--from', current] : ['--stages', rest.join(',')],
      );
      if (e instanceof InterruptedError) {
        console.error(`stage ${current} ${e.message}: ${again}`);
        return INTERRUPTED_EXIT;
      }
      // Its message says to run the same command again, which continues the checkpoint.
      if (e instanceof OutOfTimeError) {
        console.error(`stage ${current} ${e.message} (run folder: ${runDir})`);
        return OUT_OF_TIME_EXIT;
      }
      // One line: the stage, why, the run folder (kept) and how to go on from there.
      throw new StageError(
        `stage ${current} failed: ${errorMessage(e)} (run folder kept: ${runDir}; continue with: ${again})`,
        e,
      );
    }
    console.log(
      `\npipeline done in ${formatDuration(times.reduce((a, [, s]) => a + s, 0))}: ${times.map(([s, t]) => `${s} ${formatDuration(t)}`).join(', ')}`,
    );
    return 0;
  },
  (e) => {
    const cause = e instanceof StageError ? e.cause : e;
    if (cause instanceof TrainingError) return cause.exitCode;
    if (cause instanceof MissingInputError) return 2;
    return 1;
  },
);
