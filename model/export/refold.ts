// Re-exporting an export through today's inference steps (inference.ts), for a model whose run is
// gone (the shipped one): its own weights, loaded as published, go through the steps again (each
// leaves what it already changed as it was) and are written as a new version. Every step computes
// the same function up to float rounding, so the metrics, training facts and notes are kept; the
// weights are quantized as they were (an already-quantized tensor's codes round back to themselves).
// Files beside the export that its manifest does not list (report.json, training.json) are kept.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOSSES_FILE, type ManifestV3 } from '../../contract/index.ts';
import { replaceDir } from '../../lib/fs-atomic.ts';
import { getPreset } from '../../train/models/presets.ts';
import { verifyExport } from '../artifact.ts';
import { loadLayersModelFromDir } from '../model-io.ts';
import { weightsKindOf } from './card.ts';
import { exportGenerator } from './export.ts';
import { trainingNotes } from './upgrade.ts';

/** Writes `from`'s generator, through today's inference steps, to `out` (may be `from`) atomically. */
export async function refoldExport(from: string, out: string, now?: Date): Promise<ManifestV3> {
  const verified = verifyExport(from);
  if (!verified.ok) throw new Error(`${from}: not a valid export: ${verified.problems.join('; ')}`);
  const old = verified.manifest;
  if (old.schema !== 3)
    throw new Error(
      `${from}: manifest schema ${old.schema}; upgrade it first (npm run export -- --upgrade ${from})`,
    );
  const listed = new Set(['manifest.json', ...old.files.map((f) => f.path)]);
  const beside = readdirSync(from).filter((name) => !listed.has(name));
  const lossesPath = join(from, LOSSES_FILE);
  const generator = await loadLayersModelFromDir(from);
  mkdirSync(dirname(out), { recursive: true });
  const staging = mkdtempSync(join(dirname(out), '.refold-'));
  try {
    const manifest = exportGenerator(generator, getPreset(old.preset), join(staging, 'export'), {
      quantization: old.quantization,
      metrics: old.metrics,
      training: old.training,
      lossesSvg: old.files.some((f) => f.path === LOSSES_FILE) ? readFileSync(lossesPath, 'utf8') : undefined,
      notes: trainingNotes(from),
      weightsKind: weightsKindOf(old.card),
      now,
    });
    replaceDir(out, (tmp) => {
      cpSync(join(staging, 'export'), tmp, { recursive: true });
      for (const name of beside) cpSync(join(from, name), join(tmp, name), { recursive: true });
    });
    const check = verifyExport(out);
    if (!check.ok)
      throw new Error(`${out}: the re-exported folder does not verify: ${check.problems.join('; ')}`);
    return manifest;
  } finally {
    generator.dispose();
    if (existsSync(staging)) rmSync(staging, { recursive: true, force: true });
  }
}
