// npm run compare -- RUN_DIR [RUN_DIR …] [--markdown]
// One row per run: its recipe, steps, training speed and its report.json's scores (the report that
// `npm run train` or `npm run evaluate -- --json RUN/report.json` wrote) in both feature spaces
// (a recipe that wins in one and loses in the other is not a win), for choosing a recipe.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, parse, run } from '../lib/command.ts';
import type { Report } from '../model/evaluate/evaluate.ts';
import { worstClass } from '../model/evaluate/scores.ts';
import { readCheckpoint } from '../train/checkpoint.ts';
import { trainConfigSchema } from '../train/config.ts';

function recipe(dir: string): string {
  const ckpt = readCheckpoint(dir);
  if (!ckpt) throw new Error(`${dir}: no checkpoint (expected a run folder)`);
  const c = trainConfigSchema.parse(ckpt.state.config);
  const parts = [`lr ${c.lr}${c.lrD !== null && c.lrD !== c.lr ? `/D ${c.lrD}` : ''}`];
  if (c.dWidth !== 1) parts.push(`D×${c.dWidth}`);
  if (c.modeSeeking > 0) parts.push(`MS ${c.modeSeeking}`);
  if (c.r1Gamma > 0) parts.push(`R1 ${c.r1Gamma}`);
  if (c.topKMin !== null) parts.push(`top-k ${c.topKMin} (×${c.topKDecay}/epoch)`);
  if (c.emaHalfLifeSteps !== null) parts.push(`EMA half-life ${c.emaHalfLifeSteps}`);
  if (c.annealFrom !== null)
    parts.push(
      `anneal from ${c.annealFrom}${c.annealRestart === null ? '' : `, restart ${c.annealRestart}`}${c.lrSchedule === 'linear' ? '' : ` (${c.lrSchedule})`}`,
    );
  return parts.join(', ');
}

function row(dir: string, reportName: string): string[] {
  const file = join(dir, reportName);
  if (!existsSync(file))
    throw new Error(`${file} not found (run npm run evaluate -- --model ${dir} --json ${file})`);
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const m = r.metrics;
  const ckpt = readCheckpoint(dir)!;
  // Over the whole run, resumes included (wall-clock: it depends on the machine's load).
  const sps = ckpt.state.step / ckpt.state.seconds;
  const worst = m.perClassAccuracy ? worstClass(m.perClassAccuracy) : null;
  const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '—' : v.toFixed(d));
  // The targets are ratios to the floor: show it.
  const fid = (s: { fid: number; fidFloor: number } | undefined) =>
    s ? `${f(s.fid, 2)} / ${f(s.fidFloor, 2)} (${f(s.fid / s.fidFloor, 2)}×)` : '—';
  return [
    dir,
    recipe(dir),
    String(ckpt.state.step),
    f(sps, 2),
    fid(m),
    f(m.inceptionScore, 2),
    f(m.classAccuracy),
    worst ? `${f(worst.accuracy)} (${worst.digit})` : '—',
    f(m.precision),
    f(m.recall),
    // The second feature space (reports made before it have none).
    fid(m.second),
    f(m.second?.precision),
    f(m.second?.recall),
  ];
}

const program = command(
  'npm run compare --',
  "Compare training runs by their recipe, speed and evaluation report's scores.",
)
  .argument('<runs...>', 'run folders')
  .option('--report <name>', 'report file inside each run folder', 'report.json')
  .option('--markdown', 'print a Markdown table', false);

run(async () => {
  const opts = parse<{ report: string; markdown: boolean }>(program);
  const head = [
    'run',
    'recipe',
    'steps',
    'steps/s',
    'FID / floor',
    'IS',
    'class acc',
    'worst class',
    'precision',
    'recall',
    'FID / floor (2nd)',
    'precision (2nd)',
    'recall (2nd)',
  ];
  const rows = program.args.map((d) => row(d, opts.report));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    opts.markdown ? `| ${r.join(' | ')} |` : r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(fmt(head));
  console.log(
    opts.markdown ? `|${head.map(() => ' --- ').join('|')}|` : widths.map((w) => '-'.repeat(w)).join('  '),
  );
  for (const r of rows) console.log(fmt(r));
}, 2);
