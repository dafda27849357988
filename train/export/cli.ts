// npm run export -- --model RUN_DIR [--quantize uint8|float16|float32] --out DIR [--report report.json] [--samples 10000]
// Exports a run's generator as a TF.js layers model with the contract's manifest. The manifest's
// metrics come from --report (an `npm run evaluate --json` file) or from a fresh evaluation.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { metricsSchema, QUANTIZATIONS } from '../../edge/contract.ts';
import { selectBackend } from '../backend.ts';
import { readCheckpoint } from '../checkpoint.ts';
import { trainConfigSchema } from '../config.ts';
import { evaluateGenerator, loadGeneratorFromCheckpoint } from '../evaluate/evaluate.ts';
import { exportGenerator } from './export.ts';

const usage =
  'usage: npm run export -- --model RUN_DIR [--quantize uint8|float16|float32] --out DIR [--report report.json] [--samples 10000]';

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

try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      quantize: { type: 'string', default: 'uint8' },
      out: { type: 'string' },
      report: { type: 'string' },
      samples: { type: 'string', default: '10000' },
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
  const ckpt = readCheckpoint(values.model);
  if (!ckpt) throw new Error(`${values.model}: no checkpoint found (expected a run folder)`);
  const config = trainConfigSchema.parse(ckpt.state.config);
  const { generator, preset } = loadGeneratorFromCheckpoint(values.model);
  const metrics = values.report
    ? metricsSchema.parse((JSON.parse(readFileSync(values.report, 'utf8')) as { metrics: unknown }).metrics)
    : (
        await evaluateGenerator(generator, preset, {
          samples,
          seed: 1,
          model: values.model,
          log: (l) => console.error(l),
        })
      ).metrics;
  const backend = ckpt.state.backend as 'tensorflow' | 'wasm' | 'cpu';
  const manifest = exportGenerator(generator, preset, values.out, {
    quantization,
    metrics,
    training: {
      steps: ckpt.state.step,
      batchSize: config.batchSize,
      seconds: Math.round(ckpt.state.seconds),
      backend,
      device: ckpt.state.device,
      commit: gitCommit(),
      runUrl: runUrl(),
    },
  });
  const bytes = manifest.files.reduce((a, f) => a + f.bytes, 0);
  console.log(
    `exported ${manifest.version} (${preset.name}, ${quantization}, ${bytes.toLocaleString()} bytes) to ${values.out}`,
  );
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
