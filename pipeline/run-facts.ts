// The summary's facts, read from a run folder: the stage records, the evaluation's report, the
// logged losses and the last sample grid. A run that died early simply has fewer of them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { metricsSchema } from '../contract/index.ts';
import { readMetrics } from '../train/metrics.ts';
import { readRecord, readResult, STAGES, type Stage, type StageRecord } from './records.ts';
import { REPORT_FILE } from './stages/evaluate.ts';
import type { ReportFacts, SummaryFacts } from './summary.ts';

const reportSchema = z.object({
  metrics: metricsSchema,
  reference: z
    .object({
      inceptionScore: z.number(),
      classAccuracy: z.number(),
      classKL: z.number(),
      precision: z.number(),
      recall: z.number(),
    })
    .optional(),
});

function lastGrid(runDir: string): string | null {
  const dir = join(runDir, 'samples');
  if (!existsSync(dir)) return null;
  return (
    readdirSync(dir)
      .filter((f) => /^step-\d+\.png$/.test(f))
      .sort()
      .pop() ?? null
  );
}

export function readRunFacts(
  runDir: string,
  workflow: { apiUrl?: string; runArtifactUrl?: string; notes?: string[] } = {},
): SummaryFacts {
  const records: Partial<Record<Stage, StageRecord>> = {};
  for (const stage of STAGES) {
    const r = readRecord(runDir, stage);
    if (r) records[stage] = r;
  }
  const reportFile = join(runDir, REPORT_FILE);
  const report: ReportFacts | null =
    records.evaluate?.status === 'done' && existsSync(reportFile)
      ? reportSchema.parse(JSON.parse(readFileSync(reportFile, 'utf8')))
      : null;
  return {
    records,
    train: readResult(runDir, 'train'),
    evaluate: readResult(runDir, 'evaluate'),
    export: readResult(runDir, 'export'),
    gate: readResult(runDir, 'gate'),
    publish: readResult(runDir, 'publish'),
    report,
    losses: readMetrics(runDir),
    lastGrid: lastGrid(runDir),
    apiUrl: workflow.apiUrl ?? '',
    runArtifactUrl: workflow.runArtifactUrl ?? '',
    notes: workflow.notes ?? [],
  };
}
