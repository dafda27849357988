// npm run export -- --model RUN_DIR --out DIR [--quantize uint8|float16|float32] [--report report.json] [--samples 10000]
// Exports a run's generator as a TF.js layers model with the contract's manifest. The manifest's
// metrics come from --report (an `npm run evaluate --json` file) or from a fresh evaluation.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { metricsSchema, QUANTIZATIONS } from '../../contract/index.ts';
import { selectBackend } from '../backend.ts';
import { exportRun } from './finish.ts';

const usage =
  'usage: npm run export -- --model RUN_DIR --out DIR [--quantize uint8|float16|float32] [--report report.json] [--samples 10000] [--no-ema]';

try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      quantize: { type: 'string', default: 'uint8' },
      out: { type: 'string' },
      report: { type: 'string' },
      samples: { type: 'string', default: '10000' },
      'no-ema': { type: 'boolean', default: false },
    },
  });
  if (!values.model || !values.out) throw new Error(`--model and --out are required\n${usage}`);
  const quantization = QUANTIZATIONS.find((q) => q === values.quantize);
  if (!quantization)
    throw new Error(`--quantize must be one of ${QUANTIZATIONS.join(', ')}, got '${values.quantize}'`);
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 100)
    throw new Error(`--samples must be an integer ≥ 100, got '${values.samples}'`);
  await selectBackend('auto', false, () => {});
  const metrics = values.report
    ? metricsSchema.parse((JSON.parse(readFileSync(values.report, 'utf8')) as { metrics: unknown }).metrics)
    : undefined;
  const manifest = await exportRun(values.model, values.out, {
    quantization,
    metrics,
    samples,
    ema: !values['no-ema'],
    log: (l) => console.error(l),
  });
  const bytes = manifest.files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `exported ${manifest.version} (${manifest.preset}, ${quantization}, ${bytes.toLocaleString()} bytes) to ${values.out}`,
  );
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(1);
}
