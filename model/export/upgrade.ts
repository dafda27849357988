// Upgrading an exported folder to the current manifest schema in place, without its training run:
// the weights and the version stay, and so do the sample grid and card an older schema 2 manifest
// already has. For a schema 1 export the sample grid is drawn by the exported model itself, and the
// loss chart and notes on the training come from files beside it (losses.svg, training.json).
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOSSES_FILE,
  type ManifestV3,
  type Metrics,
  runtimeFiles,
  SAMPLES_FILE,
} from '../../contract/index.ts';
import { replaceDir } from '../../lib/fs-atomic.ts';
import { getPreset } from '../../train/models/presets.ts';
import { sampleGridPng } from '../../train/samples.ts';
import { verifyExport } from '../artifact.ts';
import { loadLayersModelFromDir } from '../model-io.ts';
import { describeModel, manifestText, SAMPLES_SEED } from './export.ts';

/** What training.json (written by hand beside a shipped model) may say, in a sentence each. */
export function trainingNotes(dir: string): string[] {
  const path = join(dir, 'training.json');
  if (!existsSync(path)) return [];
  const facts = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const recipe = typeof facts.recipe === 'string' ? facts.recipe.slice(0, 400) : null;
  return recipe ? [`Recipe: ${recipe.replace(/\.?$/, '.')}`] : [];
}

export interface UpgradeOptions {
  /** Metrics to state instead of the manifest's (an `npm run evaluate --json` report's). */
  metrics?: Metrics;
  log?: (line: string) => void;
}

/**
 * Rewrites `dir`'s manifest in the current schema (a current folder is rewritten the same way, so
 * running it twice changes nothing). The folder must match its manifest first. Other files in it
 * (a report, training.json) are kept.
 */
export async function upgradeExport(dir: string, opts: UpgradeOptions = {}): Promise<ManifestV3> {
  const log = opts.log ?? (() => {});
  const verified = verifyExport(dir);
  if (!verified.ok) throw new Error(`${dir}: not a valid export: ${verified.problems.join('; ')}`);
  const old = verified.manifest;
  const preset = getPreset(old.preset);
  const generator = await loadLayersModelFromDir(dir);
  // The grid an export lists is of these very weights (verified above): kept, not redrawn (the
  // exporter draws it before quantizing, so a redrawn one would differ by rounding).
  const listed = old.files.some((f) => f.path === SAMPLES_FILE);
  log(
    listed
      ? `keeping ${SAMPLES_FILE}`
      : `drawing ${SAMPLES_FILE} with the exported ${old.preset} model (${old.quantization})`,
  );
  const samplesPng = listed
    ? readFileSync(join(dir, SAMPLES_FILE))
    : sampleGridPng(generator, preset, SAMPLES_SEED);
  const weights = generator.countParams();
  const inputNames = generator.inputNames;
  generator.dispose();
  const lossesPath = join(dir, LOSSES_FILE);
  const lossesSvg = existsSync(lossesPath) ? readFileSync(lossesPath, 'utf8') : undefined;
  log(
    lossesSvg ? `listing ${LOSSES_FILE} from ${dir}` : `no ${LOSSES_FILE} in ${dir}: the manifest lists none`,
  );
  const { manifest, docs } = describeModel({
    preset,
    inputNames,
    version: old.version,
    createdAt: old.createdAt,
    quantization: old.quantization,
    weightFiles: runtimeFiles(old),
    samplesPng,
    lossesSvg,
    weights,
    metrics: opts.metrics ?? old.metrics,
    training: old.training,
    notes: trainingNotes(dir),
    // The card states the metrics: kept unless they are replaced.
    card: old.schema !== 1 && !opts.metrics ? old.card : undefined,
  });
  replaceDir(dir, (tmp) => {
    for (const name of readdirSync(dir)) cpSync(join(dir, name), join(tmp, name), { recursive: true });
    for (const f of docs) writeFileSync(join(tmp, f.path), f.bytes);
    writeFileSync(join(tmp, 'manifest.json'), manifestText(manifest));
  });
  const check = verifyExport(dir);
  if (!check.ok) throw new Error(`${dir}: the upgraded folder does not verify: ${check.problems.join('; ')}`);
  return manifest;
}
