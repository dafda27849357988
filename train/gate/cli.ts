// npm run gate -- --model DIR [--min-class-accuracy X] [--min-class-accuracy-each Z] [--max-fid Y] [--baseline manifest.json --max-regression P]
// Exits 0 when the exported model in DIR (verified against its manifest) passes every rule, 1 otherwise.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { manifestSchema } from '../../contract/index.ts';
import { verifyExport } from '../export/export.ts';
import { gate } from './gate.ts';

const usage =
  'usage: npm run gate -- --model DIR [--min-class-accuracy X] [--min-class-accuracy-each Z] [--max-fid Y] [--baseline manifest.json --max-regression P]';
const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number, got '${v}'`);
  return n;
};

try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      'min-class-accuracy': { type: 'string' },
      'min-class-accuracy-each': { type: 'string' },
      'max-fid': { type: 'string' },
      baseline: { type: 'string' },
      'max-regression': { type: 'string' },
    },
  });
  if (!values.model) throw new Error(`--model is required\n${usage}`);
  if (values['max-regression'] !== undefined && !values.baseline)
    throw new Error('--max-regression needs --baseline');
  const verified = verifyExport(values.model);
  if (!verified.ok)
    throw new Error(`${values.model} does not match its manifest: ${verified.problems.join('; ')}`);
  const baseline = values.baseline
    ? manifestSchema.parse(JSON.parse(readFileSync(values.baseline, 'utf8'))).metrics
    : undefined;
  const result = gate(verified.manifest.metrics, {
    minClassAccuracy: num('--min-class-accuracy', values['min-class-accuracy']),
    minClassAccuracyEach: num('--min-class-accuracy-each', values['min-class-accuracy-each']),
    maxFid: num('--max-fid', values['max-fid']),
    baseline,
    maxRegression: num('--max-regression', values['max-regression']),
  });
  for (const line of result.lines) console.log(line);
  if (!result.lines.length) console.log('(no rules given)');
  console.log(
    result.passed
      ? `gate: passed (${verified.manifest.version})`
      : `gate: FAILED (${verified.manifest.version})`,
  );
  process.exit(result.passed ? 0 : 1);
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  process.exit(2);
}
