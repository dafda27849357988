// Stage 2: score the run's generator (its moving average) on 10,000 digits against the MNIST test
// digits, in the shipped classifier's feature space: report.json.
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import {
  evaluateGenerator,
  formatReport,
  loadGeneratorFromCheckpoint,
} from '../../model/evaluate/evaluate.ts';
import { SAMPLES_SEED } from '../../model/export/export.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { MissingInputError } from '../records.ts';
import type { StageContext, StageOutcome } from './context.ts';

export const REPORT_FILE = 'report.json';

export async function evaluateStage(
  opts: { samples: number; ema: boolean },
  ctx: StageContext,
): Promise<StageOutcome<'evaluate'>> {
  if (!readCheckpoint(ctx.runDir))
    throw new MissingInputError(
      `${ctx.runDir} holds no checkpoint: run the train stage first (--from train)`,
    );
  const { generator, preset } = loadGeneratorFromCheckpoint(ctx.runDir, { ema: opts.ema });
  try {
    const report = await evaluateGenerator(generator, preset, {
      samples: opts.samples,
      seed: SAMPLES_SEED,
      model: ctx.runDir,
      log: ctx.log,
    });
    ctx.log(formatReport(report));
    writeFileAtomic(join(ctx.runDir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    const m = report.metrics;
    return {
      result: {
        samples: m.samples,
        fid: m.fid,
        fidFloor: m.fidFloor,
        classAccuracy: m.classAccuracy,
        precision: m.precision,
        recall: m.recall,
      },
      outputs: [REPORT_FILE],
    };
  } finally {
    generator.dispose();
  }
}
