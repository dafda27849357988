// Stage 3: the run's generator, folded and quantized, as a verified artifact in <run>/export/: the
// TF.js model, its manifest (metrics from the evaluate stage's report), sample grid and card.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { metricsSchema, type Quantization } from '../../contract/index.ts';
import { defaultExportDir, exportRun } from '../../model/export/finish.ts';
import { needs } from '../records.ts';
import type { StageContext, StageOutcome } from './context.ts';
import { REPORT_FILE } from './evaluate.ts';

export async function exportStage(
  opts: { quantization: Quantization; ema: boolean },
  ctx: StageContext,
): Promise<StageOutcome<'export'>> {
  const evaluated = needs(ctx.runDir, 'evaluate', 'export');
  const report = JSON.parse(readFileSync(join(ctx.runDir, REPORT_FILE), 'utf8')) as { metrics: unknown };
  const dir = defaultExportDir(ctx.runDir);
  const manifest = await exportRun(ctx.runDir, dir, {
    quantization: opts.quantization,
    metrics: metricsSchema.parse(report.metrics),
    samples: evaluated.result.samples,
    ema: opts.ema,
    log: ctx.log,
  });
  const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
  ctx.log(`exported ${manifest.version} (${opts.quantization}, ${bytes.toLocaleString('en-US')} bytes)`);
  return {
    result: { version: manifest.version, quantization: opts.quantization, bytes },
    outputs: [relative(ctx.runDir, dir)],
  };
}
