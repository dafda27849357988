import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOSSES_FILE, type Manifest, type ManifestV3, type Metrics } from '../../contract/index.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { trainConfigSchema } from '../../train/config.ts';
import { verifyExport } from '../artifact.ts';
import { evaluateGenerator, formatReport, loadGeneratorFromCheckpoint } from '../evaluate/evaluate.ts';
import { exportGenerator, SAMPLES_SEED } from './export.ts';
import type { Quantization } from './quantize.ts';
import { trainingNotes } from './upgrade.ts';

function gitCommit(): string {
  if (process.env.GITHUB_SHA) return process.env.GITHUB_SHA;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function runUrl(): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = process.env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : '';
}

/** The manifest's `training` facts of a run folder's checkpoint, plus the commit and CI run. */
export function trainingFacts(runDir: string): Manifest['training'] {
  const ckpt = readCheckpoint(runDir);
  if (!ckpt) throw new Error(`${runDir}: no checkpoint found (expected a run folder)`);
  const config = trainConfigSchema.parse(ckpt.state.config);
  return {
    steps: ckpt.state.step,
    batchSize: config.batchSize,
    seconds: Math.round(ckpt.state.seconds),
    backend: ckpt.state.backend as Manifest['training']['backend'],
    device: ckpt.state.device,
    commit: gitCommit(),
    runUrl: runUrl(),
  };
}

/**
 * Exports a run's generator with a schema 2 manifest. Metrics come from `metrics` when given, else
 * from a fresh evaluation of `samples` digits (its report is written to `reportFile` when given);
 * the sample grid is drawn from the evaluation's seed; losses.svg is the run folder's.
 */
export async function exportRun(
  runDir: string,
  outDir: string,
  opts: {
    quantization: Quantization;
    metrics?: Metrics;
    samples: number;
    reportFile?: string;
    /** Export the run's moving average of G where it has one (default), or G's raw weights. */
    ema?: boolean;
    /**
     * An earlier export of the same weights (e.g. the shipped model, re-exported from a
     * reproduction of its run): state its training facts and its training.json notes, not this
     * checkpoint's time, device and commit.
     */
    trainingFrom?: string;
    log: (l: string) => void;
  },
): Promise<ManifestV3> {
  const { training, notes } = opts.trainingFrom
    ? earlierTraining(opts.trainingFrom, trainingFacts(runDir))
    : { training: trainingFacts(runDir), notes: undefined };
  const { generator, preset, weights } = loadGeneratorFromCheckpoint(runDir, { ema: opts.ema });
  opts.log(`exporting ${weights === 'ema' ? 'the moving average of G' : "G's raw weights"}`);
  let metrics = opts.metrics;
  if (!metrics) {
    const report = await evaluateGenerator(generator, preset, {
      samples: opts.samples,
      seed: SAMPLES_SEED,
      model: runDir,
      log: opts.log,
    });
    opts.log(formatReport(report));
    if (opts.reportFile) writeFileAtomic(opts.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    metrics = report.metrics;
  }
  // The run's own loss chart (train.ts keeps it up to date in the run folder).
  const lossesPath = join(runDir, LOSSES_FILE);
  const manifest = exportGenerator(generator, preset, outDir, {
    quantization: opts.quantization,
    metrics,
    training,
    lossesSvg: existsSync(lossesPath) ? readFileSync(lossesPath, 'utf8') : undefined,
    weightsKind: weights,
    notes,
  });
  generator.dispose();
  return manifest;
}

/** The training facts and notes of an earlier export, which must be of as many steps at the same batch. */
function earlierTraining(dir: string, run: Manifest['training']) {
  const verified = verifyExport(dir);
  if (!verified.ok) throw new Error(`${dir}: not a valid export: ${verified.problems.join('; ')}`);
  const { training } = verified.manifest;
  if (training.steps !== run.steps || training.batchSize !== run.batchSize)
    throw new Error(
      `${dir} was trained ${training.steps} steps at batch ${training.batchSize}, the run ${run.steps} at batch ${run.batchSize}: not the same weights`,
    );
  return { training, notes: trainingNotes(dir) };
}

export const defaultExportDir = (runDir: string) => join(runDir, 'export');
