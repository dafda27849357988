// The training workflow's job summary, as GitHub renders it, written from what the pipeline's stages
// recorded in the run folder (pipeline/records.ts), never from log lines: a table of the stages,
// which backend ran and why the routes before it were skipped, the gate, what was published, the
// metrics, a Mermaid `xychart-beta` loss chart and the sample grid as a link (GitHub's sanitiser
// drops `data:` URI images, so nothing is inlined).
import type { Metrics } from '../contract/index.ts';
import type { Finished, Stage, StageRecord } from './records.ts';
import { STAGES } from './records.ts';

export interface LossPoint {
  step: number;
  dLoss: number;
  gLoss: number;
}

/** What the evaluation wrote (`report.json`): the model's scores beside the real digits'. */
export interface ReportFacts {
  metrics: Metrics;
  reference?: {
    inceptionScore: number;
    classAccuracy: number;
    classKL: number;
    precision: number;
    recall: number;
  };
}

/** At most this many points per line: a chart of 160 logged intervals reads no better than of 100. */
const MAX_POINTS = 100;

const num = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** Mermaid text: no double quotes (they end a title), no line breaks. */
const mermaidText = (s: string) => s.replace(/["\n\r]/g, ' ');

/**
 * At most `count` points, evenly spaced in steps (the logged point nearest each), the first and the
 * last included: Mermaid draws a line's values evenly spaced, so they must be, even where a resumed
 * run logged at another cadence.
 */
function evenlySpaced(points: readonly LossPoint[], count: number): LossPoint[] {
  const n = Math.min(points.length, count);
  if (n < 2) return points.slice(0, n);
  const first = points[0].step;
  const last = points[points.length - 1].step;
  let j = 0;
  return Array.from({ length: n }, (_, i) => {
    const target = first + ((last - first) * i) / (n - 1);
    while (
      j + 1 < points.length &&
      Math.abs(points[j + 1].step - target) <= Math.abs(points[j].step - target)
    )
      j++;
    return points[j];
  });
}

/**
 * Both losses over the steps as a Mermaid `xychart-beta` block, on a linear x axis from the first
 * logged step to the last. Null when nothing finite was logged.
 */
export function lossChart(points: readonly LossPoint[]): string | null {
  const finite = points.filter((p) => Number.isFinite(p.dLoss) && Number.isFinite(p.gLoss));
  if (!finite.length) return null;
  const shown = evenlySpaced(finite, MAX_POINTS);
  const first = shown.length > 1 ? shown[0].step : 0;
  const last = Math.max(shown[shown.length - 1].step, first + 1);
  const top = Math.max(...shown.flatMap((p) => [p.dLoss, p.gLoss]));
  const yMax = Math.max(0.1, Math.ceil(top * 11) / 10);
  const values = (key: 'dLoss' | 'gLoss') => shown.map((p) => +p[key].toFixed(3)).join(', ');
  return [
    '```mermaid',
    // The two lines' colours, so the caption can name them (xychart-beta draws no legend).
    '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#d62728, #1f77b4"}}}}%%',
    'xychart-beta',
    `  title "${mermaidText('GAN losses: discriminator (red), generator (blue)')}"`,
    `  x-axis "step" ${first} --> ${last}`,
    `  y-axis "mean loss per logged interval" 0 --> ${yMax}`,
    `  line [${values('dLoss')}]`,
    `  line [${values('gLoss')}]`,
    '```',
  ].join('\n');
}

/** The evaluation's scores beside the real test digits' as a Markdown table. */
export function metricsTable(report: ReportFacts): string {
  const m = report.metrics;
  const r = report.reference;
  const per = m.perClassAccuracy ?? null;
  const worst = per?.length ? Math.min(...per) : null;
  const rows: [string, string, string][] = [
    ['FID (lower is better)', num(m.fid), `floor ${num(m.fidFloor)}`],
    ['inception score (max 10)', num(m.inceptionScore), num(r?.inceptionScore)],
    ['class accuracy', num(m.classAccuracy), num(r?.classAccuracy)],
    ...(per && worst !== null
      ? [['worst digit', `${num(worst)} (digit ${per.indexOf(worst)})`, ''] as [string, string, string]]
      : []),
    ['class KL vs uniform', num(m.classKL, 4), num(r?.classKL, 4)],
    ['precision (k = 3)', num(m.precision), num(r?.precision)],
    ['recall (k = 3)', num(m.recall), num(r?.recall)],
  ];
  return [
    `| metric (${m.samples.toLocaleString('en-US')} samples) | this model | real test digits |`,
    '| --- | --: | --: |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** Every fact the summary shows: the stages' records, and what only the workflow knows. */
export interface SummaryFacts {
  /** Each stage's record as it stands (a failed one included); absent: it never ran. */
  records: Partial<Record<Stage, StageRecord>>;
  train: Finished<'train'> | null;
  evaluate: Finished<'evaluate'> | null;
  export: Finished<'export'> | null;
  gate: Finished<'gate'> | null;
  publish: Finished<'publish'> | null;
  report: ReportFacts | null;
  losses: LossPoint[];
  /** The last sample grid's file name (`step-008000.png`), if training wrote one. */
  lastGrid: string | null;
  /** The worker's base URL (repository variable MODEL_API_URL); empty when unset. */
  apiUrl: string;
  /** The uploaded run folder (upload-artifact's `artifact-url`); empty when absent. */
  runArtifactUrl: string;
  /** What the workflow adds, e.g. why it did not publish (no R2 secrets, publish off). */
  notes: string[];
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
export const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
    : s >= 60
      ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
      : `${s.toFixed(1)} s`;
/** Table cells hold text: no pipes, no line breaks. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** What each stage did, one table row each, in pipeline order. */
function stageRows(f: SummaryFacts): string[] {
  const did: Record<Stage, () => string> = {
    train: () => {
      const t = f.train!.result;
      return `${t.step.toLocaleString('en-US')}${t.target ? ` of ${t.target.toLocaleString('en-US')}` : ''} steps (${t.status}) at batch ${t.batchSize} on \`${t.backend.name}\`: ${t.backend.device}`;
    },
    evaluate: () => {
      const e = f.evaluate!.result;
      return `FID ${num(e.fid)} (floor ${num(e.fidFloor)}), class accuracy ${num(e.classAccuracy)}, precision ${num(e.precision)}, recall ${num(e.recall)} on ${e.samples.toLocaleString('en-US')} digits`;
    },
    export: () => {
      const x = f.export!.result;
      return `**${x.version}**, ${x.quantization}, ${x.bytes.toLocaleString('en-US')} bytes`;
    },
    gate: () => {
      const g = f.gate!.result;
      if (g.skipped) return 'skipped (--no-gate)';
      const failed = g.lines.filter((l) => l.startsWith('FAIL')).map((l) => l.slice(5));
      return g.passed ? 'passed' : `**refused**: ${failed.join('; ')}`;
    },
    publish: () => {
      const p = f.publish!.result;
      const where = `to ${p.store}`;
      const before = p.previous
        ? ` (promoted before: ${p.previous.version}, FID ${num(p.previous.fid)}; this one ${num(p.fid)})`
        : '';
      return p.promoted
        ? `**${p.version}** published ${where} and promoted${before}`
        : `**${p.version}** published ${where}, **not promoted**: ${p.notPromotedBecause}${before}`;
    },
  };
  return STAGES.map((stage) => {
    const r = f.records[stage];
    if (!r) return `| ${stage} | not run | | |`;
    const what = r.status === 'failed' ? `failed: ${r.error}` : did[stage]();
    return `| ${stage} | ${r.status} | ${duration(r.seconds)} | ${cell(what)} |`;
  });
}

/** Which backend ran, and why each route before it was skipped. */
function routeLines(f: SummaryFacts): string[] {
  const routes = f.train?.result.routes ?? [];
  if (!routes.length) return [];
  return [
    '',
    'Backend routes, in the order `--backend auto` tries them:',
    ...routes.map((r) => `- \`${r.route}\`: ${r.used ? '**used**' : `skipped: ${cell(r.why ?? '')}`}`),
  ];
}

function publishedLine(f: SummaryFacts): string {
  const p = f.publish?.result;
  const api = trimSlash(f.apiUrl);
  if (!p) return `**Not published**${f.notes.length ? `: ${f.notes.join('; ')}` : '.'}`;
  const link = api && p.target === 'r2' ? ` ([manifest](${api}/v1/models/${p.version}))` : '';
  if (p.promoted)
    return `Published **${p.version}** and promoted it${link}${api && p.target === 'r2' ? `: served at [${api}/v1/model](${api}/v1/model)` : ''}.`;
  return `Published **${p.version}** without promoting it${link}: ${p.notPromotedBecause}. Clients still get the promoted model; the workflow's \`force\` input promotes it anyway.`;
}

function sampleLines(f: SummaryFacts): string[] {
  const api = trimSlash(f.apiUrl);
  const p = f.publish?.result;
  if (api && p?.target === 'r2') {
    const url = `${api}/v1/models/${p.version}/samples.png`;
    return [`[![Sample grid of ${p.version}](${url})](${url})`];
  }
  if (f.runArtifactUrl && f.lastGrid)
    return [`Sample grids: in the [run folder](${f.runArtifactUrl}), \`samples/\` (last: ${f.lastGrid}).`];
  return [
    f.lastGrid
      ? `Sample grids: in the run folder's \`samples/\` (last: ${f.lastGrid}).`
      : 'No sample grid was written.',
  ];
}

/** The whole summary, Markdown that GitHub renders in the run's page. */
export function renderSummary(f: SummaryFacts): string {
  const t = f.train?.result;
  const x = f.export?.result;
  const out: string[] = [
    `## Training run${t ? `: ${t.preset}, ${t.step.toLocaleString('en-US')} steps` : ''}${x ? `, ${x.quantization}` : ''}`,
    '',
    '| stage | status | time | what it did |',
    '| --- | --- | --: | --- |',
    ...stageRows(f),
    ...routeLines(f),
    '',
    publishedLine(f),
    ...f.notes.filter(() => f.publish !== null).map((n) => `\nNote: ${n}`),
    '',
    '### Metrics',
    '',
    f.report ? metricsTable(f.report) : 'No evaluation: the run stopped before it.',
    '',
    '### Losses',
    '',
    lossChart(f.losses) ?? 'No loss was logged.',
    '',
    '### Samples',
    '',
    ...sampleLines(f),
  ];
  if (f.runArtifactUrl)
    out.push(
      '',
      `Run folder (checkpoint, metrics, every sample grid, the stage records): [artifact](${f.runArtifactUrl}).`,
    );
  return `${out.join('\n')}\n`;
}
