// The training workflow's job summary, as GitHub renders it: a Mermaid `xychart-beta` loss chart,
// the metrics as a Markdown table, the sample grid as a link (GitHub's sanitiser drops `data:` URI
// images, so nothing is inlined), and whether the model was published, or why not.
import type { Metrics } from '../contract/index.ts';

/** A step's `steps.<id>.outcome`; empty when the step never came up (an earlier job failed). */
export type Outcome = 'success' | 'failure' | 'cancelled' | 'skipped' | '';

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

/** The parts of the exported manifest the summary shows (any schema version has them). */
export interface ManifestFacts {
  version: string;
  files: { path: string }[];
  training?: { steps: number; batchSize: number; seconds: number; backend: string; device: string };
}

export interface SummaryFacts {
  preset: string;
  steps: string;
  quantization: string;
  losses: LossPoint[];
  report: ReportFacts | null;
  manifest: ManifestFacts | null;
  /** The last sample grid's file name (`step-008000.png`), if training wrote one. */
  lastGrid: string | null;
  gate: Outcome;
  publish: Outcome;
  publishRequested: boolean;
  r2Configured: boolean;
  /** The worker's base URL (repository variable MODEL_API_URL); empty when unset. */
  apiUrl: string;
  /** The uploaded sample grid and run folder (upload-artifact's `artifact-url`); empty when absent. */
  samplesArtifactUrl: string;
  runArtifactUrl: string;
  /** Where the last checkpoint was trained (its state.json), for a run that exported nothing. */
  checkpoint: { step: number; backend: string; device: string } | null;
  /** The training log's lines about the backend: which GPU route ran, or why each was skipped. */
  backendLog: string[];
}

/** A training log line about the backend choice (train/backend.ts and the CLI's error line). */
export const isBackendLine = (line: string): boolean =>
  /^(backend: |!!! |note: WebGPU |error: --(require-gpu|backend)\b)/.test(line);

export const R2_SECRETS = ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'];
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

/** Why a model that was not published was not: every reason that applies. */
export function notPublishedBecause(f: SummaryFacts): string[] {
  if (f.publish === 'success') return [];
  if (f.publish === 'failure')
    return [
      'the publish step failed (its log says why; a model worse than the promoted one is refused ' +
        'unless `force`); clients still get the previously promoted model',
    ];
  if (f.publish === 'cancelled') return ['the run was cancelled while publishing'];
  const why: string[] = [];
  if (!f.publishRequested) why.push('the run was started with `publish` off');
  if (!f.r2Configured)
    why.push(`the repository secrets ${R2_SECRETS.map((s) => `\`${s}\``).join(', ')} are not all set`);
  if (f.gate === 'failure') why.push('the model failed the quality gate');
  else if (f.gate !== 'success') why.push('an earlier step failed, so the quality gate did not run');
  return why;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`
    : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

function trainingLine(f: SummaryFacts): string {
  const t = f.manifest?.training;
  if (t)
    return `Trained ${t.steps.toLocaleString('en-US')} steps at batch ${t.batchSize} in ${duration(t.seconds)} on \`${t.backend}\` (${t.device}).`;
  const c = f.checkpoint;
  if (c)
    return `Training checkpointed step ${c.step.toLocaleString('en-US')} on \`${c.backend}\` (${c.device}).`;
  const last = f.losses[f.losses.length - 1];
  return last
    ? `Training logged up to step ${last.step.toLocaleString('en-US')}.`
    : 'Training logged no step.';
}

/** Which backend ran and why the ones before it were skipped, as the training log says. */
function backendLines(f: SummaryFacts): string[] {
  if (!f.backendLog.length) return [];
  // A code span each: log text is not Markdown (backticks become quotes so the span holds).
  return ['', 'Backend choice (training log):', ...f.backendLog.map((l) => `- \`${l.replace(/`/g, "'")}\``)];
}

function gateLine(gate: Outcome): string {
  if (gate === 'success') return 'Quality gate: **passed**.';
  if (gate === 'failure') return "Quality gate: **failed** (the gate step's log names the rule).";
  return 'Quality gate: not run (an earlier step failed or the run was cancelled).';
}

function sampleLines(f: SummaryFacts, published: boolean): string[] {
  const api = trimSlash(f.apiUrl);
  const v = f.manifest?.version;
  if (published && api && v && f.manifest?.files.some((file) => file.path === 'samples.png')) {
    const url = `${api}/v1/models/${v}/samples.png`;
    return [`[![Sample grid of ${v}](${url})](${url})`];
  }
  if (f.samplesArtifactUrl)
    return [`Sample grid${f.lastGrid ? ` (${f.lastGrid})` : ''}: [download](${f.samplesArtifactUrl}).`];
  if (f.runArtifactUrl && f.lastGrid)
    return [`Sample grids: in the [run folder](${f.runArtifactUrl}), \`samples/\` (last: ${f.lastGrid}).`];
  return [f.lastGrid ? 'Sample grids: in the run folder (not uploaded).' : 'No sample grid was written.'];
}

/** The whole summary, Markdown that GitHub renders in the run's page. */
export function renderSummary(f: SummaryFacts): string {
  const why = notPublishedBecause(f);
  const published = why.length === 0;
  const out: string[] = [
    `## Training run: ${f.preset}, ${f.steps} steps, ${f.quantization}`,
    '',
    trainingLine(f),
    ...backendLines(f),
  ];
  out.push('', gateLine(f.gate), '');
  if (published) {
    const v = f.manifest?.version ?? '(version unknown)';
    const api = trimSlash(f.apiUrl);
    out.push(
      api
        ? `Published **${v}** and promoted it: [manifest](${api}/v1/models/${v}), served at [${api}/v1/model](${api}/v1/model).`
        : `Published **${v}** and promoted it (set the repository variable \`MODEL_API_URL\` to link it here).`,
    );
  } else {
    out.push(`**Not published**: ${why.join('; ')}.`);
  }
  out.push('', '### Metrics', '');
  out.push(
    f.report ? metricsTable(f.report) : 'No evaluation: the run stopped before it (see the failed step).',
  );
  out.push('', '### Losses', '');
  out.push(lossChart(f.losses) ?? 'No loss was logged.');
  out.push('', '### Samples', '', ...sampleLines(f, published));
  if (f.runArtifactUrl)
    out.push('', `Run folder (checkpoint, metrics, every sample grid): [artifact](${f.runArtifactUrl}).`);
  return `${out.join('\n')}\n`;
}
