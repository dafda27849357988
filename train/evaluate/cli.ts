// npm run evaluate -- --model DIR (a run, its checkpoint/, or an exported model folder) [--samples 10000] [--seed 1] [--json report.json]
import { parseArgs } from 'node:util';
import { selectBackend } from '../backend.ts';
import { writeFileAtomic } from '../fs-atomic.ts';
import { evaluateGenerator, formatReport, loadGenerator } from './evaluate.ts';

const usage =
  "usage: npm run evaluate -- --model DIR [--samples 10000] [--seed 1] [--json report.json] [--no-ema: a run's raw G, not its moving average]";
try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      samples: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      'no-ema': { type: 'boolean', default: false },
    },
  });
  if (!values.model) throw new Error(`--model is required\n${usage}`);
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 100)
    throw new Error(`--samples must be an integer ≥ 100, got '${values.samples}'`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const backend = await selectBackend(values.backend as 'auto', false, () => {});
  console.error(`backend: ${backend.name} on ${backend.device}`);
  const { generator, preset } = await loadGenerator(values.model, { ema: !values['no-ema'] });
  const report = await evaluateGenerator(generator, preset, {
    samples,
    seed,
    model: values.model,
    log: (l) => console.error(l),
  });
  console.log(formatReport(report));
  console.log(`(${report.seconds.toFixed(1)} s)`);
  if (values.json) writeFileAtomic(values.json, `${JSON.stringify(report, null, 2)}\n`);
} catch (e) {
  // One line, never a stack (the WASM runtime would print its whole source for an uncaught error).
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
