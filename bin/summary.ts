// npm run summary -- --run DIR [--out FILE] [--api-url URL] [--run-url URL] [--note TEXT …]
// The job summary of a pipeline run, from what its stages recorded (pipeline/summary.ts): appended
// to --out, else to $GITHUB_STEP_SUMMARY on GitHub's runners, else printed.
import { appendFileSync } from 'node:fs';
import { command, parse, run } from '../lib/command.ts';
import { readRunFacts } from '../pipeline/run-facts.ts';
import { renderSummary } from '../pipeline/summary.ts';

const program = command(
  'npm run summary --',
  "Write a pipeline run's summary (stages, backend, gate, publish, metrics, losses, samples) as Markdown.",
)
  .requiredOption('--run <dir>', 'the run folder (required)')
  .option('--out <file>', 'append to this file (default: $GITHUB_STEP_SUMMARY, else print)')
  .option('--api-url <url>', "the worker's base URL, to link what was published", '')
  .option('--run-url <url>', 'the uploaded run folder', '')
  .option('--note <text...>', 'what the workflow adds, e.g. why it did not publish', []);

interface SummaryOptions {
  run: string;
  out?: string;
  apiUrl: string;
  runUrl: string;
  note: string[];
}

run(async () => {
  const o = parse<SummaryOptions>(program);
  const text = renderSummary(
    readRunFacts(o.run, {
      apiUrl: o.apiUrl,
      runArtifactUrl: o.runUrl,
      notes: o.note.filter((n) => n.trim()),
    }),
  );
  const out = o.out ?? process.env.GITHUB_STEP_SUMMARY;
  if (!out) return void process.stdout.write(text);
  appendFileSync(out, text);
  console.log(`job summary: ${text.split('\n').length} lines appended to ${out}`);
});
