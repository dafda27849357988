// npm run export -- --model RUN_DIR --out DIR [--quantize uint8|float16|float32] [--report report.json] [--samples 10000] [--training-from EXPORT_DIR]
// npm run export -- --upgrade EXPORT_DIR [--report report.json]
// npm run export -- --refold EXPORT_DIR --out DIR
// Exports a run's generator, folded for inference (model/export/inference.ts), as a TF.js layers
// model with the contract's (schema 3) manifest. The manifest's metrics come from --report (an
// `npm run evaluate --json` file) or from a fresh evaluation. --upgrade rewrites an existing
// export's manifest in the current schema in place, without its run. --refold re-exports an
// export's own weights through today's inference steps as a new version (model/export/refold.ts).
import { readFileSync } from 'node:fs';
import { type Metrics, metricsSchema, QUANTIZATIONS, type Quantization } from '../contract/index.ts';
import { choice, command, integer, parse, run, UsageError } from '../lib/command.ts';
import { exportRun } from '../model/export/finish.ts';
import { refoldExport } from '../model/export/refold.ts';
import { upgradeExport } from '../model/export/upgrade.ts';
import { selectBackend } from '../train/backend.ts';

const program = command(
  'npm run export --',
  "Export a run's generator as a TF.js layers model with its manifest (sizes, sha256, metrics, how to call it).",
)
  .option('--model <dir>', 'the run folder (required unless --upgrade or --refold)')
  .option('--out <dir>', 'the folder to write, replaced atomically (required unless --upgrade)')
  .addOption(choice('--quantize <type>', 'weight precision', QUANTIZATIONS).default('uint8'))
  .option(
    '--report <file>',
    'take the metrics from this `npm run evaluate --json` report (default: evaluate now; with --upgrade: keep the manifest’s)',
  )
  .option('--samples <n>', 'digits to generate when evaluating now', integer('--samples', 100), 10_000)
  .option('--no-ema', "export the run's raw G, not its moving average")
  .option(
    '--training-from <dir>',
    'state the training facts (time, device, commit) and training.json notes of this earlier export of the same weights, e.g. when re-exporting a shipped model from a reproduction of its run',
  )
  .option(
    '--upgrade <dir>',
    "rewrite an exported folder's manifest in the current schema, in place (weights and version kept; a schema 1 folder's sample grid drawn by the model, losses.svg and training.json beside it)",
  )
  .option(
    '--refold <dir>',
    "re-export an exported folder's own weights through today's inference steps into --out (may be the same folder) as a new version; its metrics, training facts and the files beside it are kept",
  );

interface ExportOptions {
  model?: string;
  out?: string;
  quantize: Quantization;
  report?: string;
  samples: number;
  ema: boolean;
  trainingFrom?: string;
  upgrade?: string;
  refold?: string;
}

const readReport = (file: string): Metrics =>
  metricsSchema.parse((JSON.parse(readFileSync(file, 'utf8')) as { metrics: unknown }).metrics);

/** What was asked: an export of a run, or an upgrade in place (never both). */
function task(
  o: ExportOptions,
): { upgrade: string } | { refold: string; out: string } | { model: string; out: string } {
  if (o.refold !== undefined) {
    const given = (name: string) => program.getOptionValueSource(name) === 'cli';
    if (
      o.model !== undefined ||
      o.upgrade !== undefined ||
      o.report !== undefined ||
      o.trainingFrom !== undefined ||
      ['quantize', 'samples', 'ema'].some(given)
    )
      throw new UsageError(
        '--refold keeps the export’s own weights, precision, metrics and training facts: give it with --out only',
      );
    if (o.out === undefined)
      throw new UsageError('--refold <dir> needs --out <dir> (it may be the same folder)');
    return { refold: o.refold, out: o.out };
  }
  if (o.upgrade !== undefined) {
    if (o.model !== undefined || o.out !== undefined)
      throw new UsageError(
        '--upgrade works on an exported folder in place: give it without --model and --out',
      );
    if (o.trainingFrom !== undefined)
      throw new UsageError(
        '--upgrade keeps the folder’s own training facts: give it without --training-from',
      );
    return { upgrade: o.upgrade };
  }
  if (o.model === undefined || o.out === undefined)
    throw new UsageError(
      '--model <dir> and --out <dir> are required (or --upgrade <dir>, or --refold <dir>)',
    );
  return { model: o.model, out: o.out };
}

run(async () => {
  const o = parse<ExportOptions>(program);
  const t = task(o);
  await selectBackend('auto', false, () => {});
  const metrics = o.report ? readReport(o.report) : undefined;
  if ('refold' in t) {
    const manifest = await refoldExport(t.refold, t.out);
    console.log(
      `re-exported ${t.refold} as ${manifest.version} (${manifest.files.map((f) => f.path).join(', ')}) to ${t.out}`,
    );
    return;
  }
  if ('upgrade' in t) {
    const manifest = await upgradeExport(t.upgrade, { metrics, log: (l) => console.error(l) });
    console.log(
      `upgraded ${manifest.version} in ${t.upgrade} to manifest schema ${manifest.schema} (${manifest.files.map((f) => f.path).join(', ')})`,
    );
    return;
  }
  const manifest = await exportRun(t.model, t.out, {
    quantization: o.quantize,
    metrics,
    samples: o.samples,
    ema: o.ema,
    trainingFrom: o.trainingFrom,
    log: (l) => console.error(l),
  });
  const bytes = manifest.files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `exported ${manifest.version} (${manifest.preset}, ${o.quantize}, ${bytes.toLocaleString()} bytes) to ${t.out}`,
  );
});
