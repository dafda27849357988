// Stage 1: train (or continue training) the GAN in the run folder, to the config's final step.
import { readCheckpoint } from '../../train/checkpoint.ts';
import { type TrainConfig, trainConfigSchema } from '../../train/config.ts';
import { outOfTime, TrainingError, train } from '../../train/train.ts';
import type { StageContext, StageOutcome } from './context.ts';

/** Training was stopped by Ctrl-C: the checkpoint is saved, and the same command continues it. */
export class InterruptedError extends Error {
  constructor(step: number) {
    super(`interrupted at step ${step}; the checkpoint is saved, and the same command continues it`);
    this.name = 'InterruptedError';
  }
}

/**
 * --max-minutes ran out before the final step: a run that did not reach it (its learning rates not
 * annealed to their end, if annealed) is not evaluated or published; its checkpoint is kept.
 */
export class OutOfTimeError extends Error {
  constructor(step: number, target: number) {
    super(
      `stopped at step ${step} of ${target}: --max-minutes ran out; the checkpoint is saved, and running the same command again continues it`,
    );
    this.name = 'OutOfTimeError';
  }
}

export async function trainStage(
  config: TrainConfig,
  explicit: ReadonlySet<keyof TrainConfig>,
  ctx: StageContext,
): Promise<StageOutcome<'train'>> {
  // A run folder with a checkpoint is continued, not refused: re-running the pipeline resumes it.
  const resume = readCheckpoint(ctx.runDir) !== null;
  if (resume) ctx.log(`continuing the run in ${ctx.runDir} from its checkpoint`);
  const r = await train(
    { ...config, out: ctx.runDir, resume },
    { signal: ctx.signal, isTTY: process.stdout.isTTY === true, explicit, log: ctx.log },
  );
  if (r.status === 'interrupted') throw new InterruptedError(r.step);
  if (outOfTime(r)) throw new OutOfTimeError(r.step, r.target ?? r.step);
  const saved = readCheckpoint(ctx.runDir);
  if (!saved) throw new TrainingError(`${ctx.runDir}: training ended without a checkpoint`, 1);
  const run = trainConfigSchema.parse(saved.state.config);
  return {
    result: {
      status: r.status,
      step: r.step,
      target: r.target,
      trainingSeconds: r.seconds,
      preset: run.preset,
      batchSize: run.batchSize,
      backend: { name: r.backend.name, device: r.backend.device, gpu: r.backend.gpu },
      routes: r.backend.routes,
    },
    outputs: ['checkpoint', 'metrics.jsonl', 'losses.svg'],
  };
}
