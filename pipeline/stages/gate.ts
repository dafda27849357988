// Stage 4: the quality gate. The export is checked file by file against its manifest, then its
// metrics against the rules; a model that fails stops the pipeline before anything is published.

import { verifyExport } from '../../model/artifact.ts';
import { defaultExportDir } from '../../model/export/finish.ts';
import { type GateRules, gate, rulesFor } from '../../model/gate.ts';
import { needs } from '../records.ts';
import type { StageContext, StageOutcome } from './context.ts';

export function gateStage(
  opts: { rules: GateRules; skip: boolean },
  ctx: StageContext,
): StageOutcome<'gate'> {
  const exported = needs(ctx.runDir, 'export', 'gate');
  const dir = defaultExportDir(ctx.runDir);
  const verified = verifyExport(dir);
  if (!verified.ok) throw new Error(`${dir} does not match its manifest: ${verified.problems.join('; ')}`);
  const { manifest } = verified;
  if (manifest.version !== exported.result.version)
    throw new Error(`${dir} holds ${manifest.version}, the export stage recorded ${exported.result.version}`);
  if (opts.skip) {
    ctx.log(`gate: skipped (--no-gate): ${manifest.version} goes on unjudged`);
    return {
      result: { version: manifest.version, passed: true, skipped: true, lines: [] },
      outputs: [],
    };
  }
  const checked = gate(manifest.metrics, rulesFor(manifest.classes, opts.rules));
  for (const line of checked.lines) ctx.log(line);
  ctx.log(`gate: ${checked.passed ? 'passed' : 'REFUSED'} (${manifest.version})`);
  return {
    result: { version: manifest.version, passed: checked.passed, skipped: false, lines: checked.lines },
    outputs: [],
    refused: !checked.passed,
  };
}
