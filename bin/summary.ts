// node --import tsx bin/summary.ts --run-dir DIR --out "$GITHUB_STEP_SUMMARY" [facts of the run]
// The training workflow's last step: reads what the run left (metrics, report, export) and appends
// the job summary (release/summary.ts). Every fact GitHub knows is passed in, so it runs anywhere.
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { metricsSchema } from '../contract/index.ts';
import { choice, command, parse, run, UsageError } from '../lib/command.ts';
import {
  isBackendLine,
  type ManifestFacts,
  notPublishedBecause,
  type Outcome,
  type ReportFacts,
  renderSummary,
} from '../release/summary.ts';
import { readMetrics } from '../train/metrics.ts';

const OUTCOMES = ['success', 'failure', 'cancelled', 'skipped', ''];
const BOOLS = ['true', 'false'];

const program = command(
  'node --import tsx bin/summary.ts',
  "Append the training workflow's job summary (metrics table, loss chart, samples, publishing) to a file.",
)
  .requiredOption('--run-dir <dir>', 'the run folder (required)')
  .option('--out <file>', 'the file to append to (default: $GITHUB_STEP_SUMMARY)')
  .option('--preset <name>', 'the preset asked for', '?')
  .option('--steps <n>', 'the step budget asked for', '?')
  .option('--quantization <q>', 'the export precision asked for', '?')
  .addOption(choice('--gate <outcome>', "the quality gate step's outcome", OUTCOMES).default(''))
  .addOption(choice('--publish <outcome>', "the publish step's outcome", OUTCOMES).default(''))
  .addOption(choice('--publish-requested <bool>', 'publishing was asked for', BOOLS).default('true'))
  .addOption(choice('--r2-configured <bool>', 'the R2 secrets are all set', BOOLS).default('false'))
  .option('--api-url <url>', "the worker's base URL (links the published model)", '')
  .option('--samples-url <url>', 'the uploaded sample grid', '')
  .option('--run-url <url>', 'the uploaded run folder', '')
  .option('--train-log <file>', "the training step's output (its backend lines are shown)", '');

interface SummaryOptions {
  runDir: string;
  out?: string;
  preset: string;
  steps: string;
  quantization: string;
  gate: Outcome;
  publish: Outcome;
  publishRequested: string;
  r2Configured: string;
  apiUrl: string;
  samplesUrl: string;
  runUrl: string;
  trainLog: string;
}

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
// Loose on purpose: the summary needs only these fields, whichever manifest schema wrote them.
const manifestFactsSchema = z.object({
  version: z.string(),
  files: z.array(z.object({ path: z.string() })),
  training: z
    .object({
      steps: z.number(),
      batchSize: z.number(),
      seconds: z.number(),
      backend: z.string(),
      device: z.string(),
    })
    .optional(),
});

const checkpointFactsSchema = z.object({ step: z.number(), backend: z.string(), device: z.string() });

/** A JSON file that a failed run may not have written (null), or written otherwise (null, said once). */
function readJson<T>(file: string, schema: z.ZodType<T>): T | null {
  if (!existsSync(file)) return null;
  const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) console.log(`note: ${file} is not in the expected shape; left out of the summary`);
  return parsed.success ? parsed.data : null;
}

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

run(async () => {
  const o = parse<SummaryOptions>(program);
  const out = o.out ?? process.env.GITHUB_STEP_SUMMARY;
  if (!out) throw new UsageError('no --out and no GITHUB_STEP_SUMMARY: where should the summary go?');
  const facts = {
    preset: o.preset,
    steps: o.steps,
    quantization: o.quantization,
    losses: readMetrics(o.runDir),
    report: readJson<ReportFacts>(join(o.runDir, 'report.json'), reportSchema),
    manifest: readJson<ManifestFacts>(join(o.runDir, 'export', 'manifest.json'), manifestFactsSchema),
    lastGrid: lastGrid(o.runDir),
    gate: o.gate,
    publish: o.publish,
    publishRequested: o.publishRequested === 'true',
    r2Configured: o.r2Configured === 'true',
    apiUrl: o.apiUrl,
    samplesArtifactUrl: o.samplesUrl,
    runArtifactUrl: o.runUrl,
    checkpoint: readJson(join(o.runDir, 'checkpoint', 'state.json'), checkpointFactsSchema),
    backendLog:
      o.trainLog && existsSync(o.trainLog)
        ? readFileSync(o.trainLog, 'utf8').split('\n').filter(isBackendLine)
        : [],
  };
  const text = renderSummary(facts);
  appendFileSync(out, text);
  console.log(`job summary: ${text.split('\n').length} lines appended to ${out}`);
  const why = notPublishedBecause(facts);
  // An annotation on the run's page too, unless not publishing was what was asked for.
  if (why.length && facts.publishRequested)
    console.log(`::warning title=Model not published::${why.join('; ').replace(/`/g, '')}`);
});
