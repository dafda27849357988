import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Manifest, Metrics } from '../../contract/index.ts';
import { readCheckpoint } from '../checkpoint.ts';
import { trainConfigSchema } from '../config.ts';
import { evaluateGenerator, formatReport, loadGeneratorFromCheckpoint } from '../evaluate/evaluate.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { exportGenerator } from './export.ts';
import type { Quantization } from './quantize.ts';

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
 * Exports a run's generator. Metrics come from `metrics` when given, else from a fresh evaluation
 * of `samples` digits (its report is written to `reportFile` when given).
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
    log: (l: string) => void;
  },
): Promise<Manifest> {
  const training = trainingFacts(runDir);
  const { generator, preset, weights } = loadGeneratorFromCheckpoint(runDir, { ema: opts.ema });
  opts.log(`exporting ${weights === 'ema' ? 'the moving average of G' : "G's raw weights"}`);
  let metrics = opts.metrics;
  if (!metrics) {
    const report = await evaluateGenerator(generator, preset, {
      samples: opts.samples,
      seed: 1,
      model: runDir,
      log: opts.log,
    });
    opts.log(formatReport(report));
    if (opts.reportFile) writeFileAtomic(opts.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    metrics = report.metrics;
  }
  const manifest = exportGenerator(generator, preset, outDir, {
    quantization: opts.quantization,
    metrics,
    training,
  });
  generator.dispose();
  return manifest;
}

export const defaultExportDir = (runDir: string) => join(runDir, 'export');
