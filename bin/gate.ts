// npm run gate -- --model DIR [--min-class-accuracy X] [--min-class-accuracy-each Z] [--max-fid Y] [--baseline manifest.json --max-regression P]
// Exits 0 when the exported model in DIR (verified against its manifest) passes every rule, 1 when
// one fails, 2 on bad input or a folder that does not match its manifest.
import { readFileSync } from 'node:fs';
import { manifestSchema } from '../contract/index.ts';
import { command, nonNegative, parse, probability, run, UsageError } from '../lib/command.ts';
import { verifyExport } from '../model/artifact.ts';
import { gate } from '../model/gate.ts';

const program = command(
  'npm run gate --',
  'Check an exported model against its manifest and quality rules: exit 0 passed, 1 a rule failed, 2 bad input.',
)
  .requiredOption('--model <dir>', 'the exported model folder (required)')
  .option(
    '--min-class-accuracy <x>',
    'class accuracy at least x (default: not checked)',
    probability('--min-class-accuracy'),
  )
  .option(
    '--min-class-accuracy-each <x>',
    "every digit's class accuracy at least x (default: not checked)",
    probability('--min-class-accuracy-each'),
  )
  .option('--max-fid <x>', 'FID at most x (default: not checked)', nonNegative('--max-fid'))
  .option('--baseline <file>', "another model's manifest.json to compare with")
  .option(
    '--max-regression <p>',
    "with --baseline: FID and class accuracy at most p percent worse than the baseline's (default: 0)",
    nonNegative('--max-regression'),
  );

interface GateOptions {
  model: string;
  minClassAccuracy?: number;
  minClassAccuracyEach?: number;
  maxFid?: number;
  baseline?: string;
  maxRegression?: number;
}

run(async () => {
  const o = parse<GateOptions>(program);
  if (o.maxRegression !== undefined && !o.baseline) throw new UsageError('--max-regression needs --baseline');
  const verified = verifyExport(o.model);
  if (!verified.ok)
    throw new Error(`${o.model} does not match its manifest: ${verified.problems.join('; ')}`);
  const baseline = o.baseline
    ? manifestSchema.parse(JSON.parse(readFileSync(o.baseline, 'utf8'))).metrics
    : undefined;
  const result = gate(verified.manifest.metrics, {
    minClassAccuracy: o.minClassAccuracy,
    minClassAccuracyEach: o.minClassAccuracyEach,
    maxFid: o.maxFid,
    baseline,
    maxRegression: o.maxRegression,
  });
  for (const line of result.lines) console.log(line);
  if (!result.lines.length) console.log('(no rules given)');
  console.log(
    result.passed
      ? `gate: passed (${verified.manifest.version})`
      : `gate: FAILED (${verified.manifest.version})`,
  );
  return result.passed ? 0 : 1;
}, 2);
