// npm run export -- --model RUN_DIR --out DIR [--quantize uint8|float16|float32] [--report report.json] [--samples 10000]
// Exports a run's generator as a TF.js layers model with the contract's manifest. The manifest's
// metrics come from --report (an `npm run evaluate --json` file) or from a fresh evaluation.
import { readFileSync } from 'node:fs';
import { metricsSchema, QUANTIZATIONS, type Quantization } from '../../contract/index.ts';
import { selectBackend } from '../backend.ts';
import { choice, command, integer, parse, run } from '../command.ts';
import { exportRun } from './finish.ts';

const program = command(
  'npm run export --',
  "Export a run's generator as a TF.js layers model with its manifest (sizes, sha256, metrics).",
)
  .requiredOption('--model <dir>', 'the run folder (required)')
  .requiredOption('--out <dir>', 'the folder to write, replaced atomically (required)')
  .addOption(choice('--quantize <type>', 'weight precision', QUANTIZATIONS).default('uint8'))
  .option(
    '--report <file>',
    'take the metrics from this `npm run evaluate --json` report (default: evaluate now)',
  )
  .option('--samples <n>', 'digits to generate when evaluating now', integer('--samples', 100), 10_000)
  .option('--no-ema', "export the run's raw G, not its moving average");

interface ExportOptions {
  model: string;
  out: string;
  quantize: Quantization;
  report?: string;
  samples: number;
  ema: boolean;
}

run(async () => {
  const o = parse<ExportOptions>(program);
  await selectBackend('auto', false, () => {});
  const metrics = o.report
    ? metricsSchema.parse((JSON.parse(readFileSync(o.report, 'utf8')) as { metrics: unknown }).metrics)
    : undefined;
  const manifest = await exportRun(o.model, o.out, {
    quantization: o.quantize,
    metrics,
    samples: o.samples,
    ema: o.ema,
    log: (l) => console.error(l),
  });
  const bytes = manifest.files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `exported ${manifest.version} (${manifest.preset}, ${o.quantize}, ${bytes.toLocaleString()} bytes) to ${o.out}`,
  );
});
