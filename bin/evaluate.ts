// npm run evaluate -- --model DIR (a run, its checkpoint/, or an exported model folder) [--samples 10000] [--seed 1] [--json report.json]

import { choice, command, integer, parse, run } from '../lib/command.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { evaluateGenerator, formatReport, loadGenerator } from '../model/evaluate/evaluate.ts';
import { BACKENDS, type BackendChoice, selectBackend } from '../train/backend.ts';

const program = command(
  'npm run evaluate --',
  "Score a generator against the MNIST test digits in the shipped classifier's feature space (FID, floor, precision and recall also in the second, MLP classifier's).",
)
  .requiredOption('--model <dir>', 'a run folder, its checkpoint/, or an exported model folder (required)')
  .option('--samples <n>', 'digits to generate', integer('--samples', 100), 10_000)
  .option('--seed <n>', 'seed of the latents', integer('--seed'), 1)
  .option('--json <file>', 'also write the report as JSON to this file')
  .addOption(choice('--backend <name>', 'compute backend', BACKENDS).default('auto'))
  .option('--no-ema', "score a run's raw G, not its moving average");

interface EvaluateOptions {
  model: string;
  samples: number;
  seed: number;
  json?: string;
  backend: BackendChoice;
  ema: boolean;
}

run(async () => {
  const o = parse<EvaluateOptions>(program);
  const backend = await selectBackend(o.backend, false, () => {});
  console.error(`backend: ${backend.name} on ${backend.device}`);
  const { generator, preset } = await loadGenerator(o.model, { ema: o.ema });
  const report = await evaluateGenerator(generator, preset, {
    samples: o.samples,
    seed: o.seed,
    model: o.model,
    log: (l) => console.error(l),
  });
  console.log(formatReport(report));
  console.log(`(${report.seconds.toFixed(1)} s)`);
  if (o.json) writeFileAtomic(o.json, `${JSON.stringify(report, null, 2)}\n`);
});
