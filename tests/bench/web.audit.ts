// npm run audit:web: Lighthouse on the product as `npm start` serves it (the production page built,
// the shipped model in a local R2, the worker through wrangler, offline), by default the mobile
// preset 5 times (its timings vary run to run): each run's four category scores and load metrics,
// their median and spread (min–max), how many runs met the page's targets, and every failing audit
// of the non-performance categories.
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { choice, command, integer, parse, run, UsageError } from '../../lib/command.ts';
import type { LocalWorker } from '../../release/local-worker.ts';
import {
  type AuditSummary,
  CATEGORIES,
  type Category,
  formatFailing,
  killAuditChromium,
  METRICS,
  type Metric,
  PRESETS,
  type Preset,
  runLighthouse,
} from './lighthouse.ts';
import { type Row, table } from './table.ts';

const program = command(
  'npm run audit:web --',
  'Lighthouse (mobile by default, or desktop, or both) on the locally served page, several runs: category scores and load metrics per run, their median and spread, failing audits.',
)
  .addOption(choice('--preset <name>', 'which Lighthouse preset', [...PRESETS, 'both']).default('mobile'))
  .option('--runs <n>', 'runs per preset (each in a fresh Chromium)', integer('--runs', 1, 99), 5)
  .option('--url <url>', 'audit this already running server instead of starting one')
  .option('--json <file>', 'also write every run and the medians to this file');

interface Options {
  preset: Preset | 'both';
  runs: number;
  url?: string;
  json?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Per preset: the median of each score and metric over the runs (each on its own, as Lighthouse's
 * numbers vary run to run), and each failing audit with how many runs it failed in. */
function combine(runs: AuditSummary[]) {
  const present = <T>(xs: (T | null | undefined)[]) => xs.filter((x): x is T => x != null);
  const scores = Object.fromEntries(
    CATEGORIES.map((c) => {
      const xs = present(runs.map((r) => r.scores[c]));
      return [c, xs.length ? median(xs) : null];
    }),
  ) as Record<Category, number | null>;
  const metrics = Object.fromEntries(
    (Object.keys(METRICS) as Metric[]).map((m) => {
      const xs = present(runs.map((r) => r.metrics[m]));
      return [m, xs.length ? median(xs) : null];
    }),
  ) as Record<Metric, number | null>;
  const failing = new Map<string, { audit: AuditSummary['failing'][number]; runs: number }>();
  for (const r of runs) {
    for (const f of r.failing) {
      const key = `${f.category}/${f.id}`;
      const seen = failing.get(key);
      if (seen) seen.runs++;
      else failing.set(key, { audit: f, runs: 1 });
    }
  }
  const workerIssues = new Map<string, number>();
  for (const issue of runs.flatMap((r) => [...new Set(r.workerIssues)]))
    workerIssues.set(issue, (workerIssues.get(issue) ?? 0) + 1);
  return {
    scores,
    metrics,
    failing: [...failing.values()],
    workerIssues: [...workerIssues].map(([issue, n]) => ({ issue, runs: n })),
    benchmarkIndex: median(runs.map((r) => r.benchmarkIndex)),
  };
}

const ms = (v: number | null | undefined) => (v == null ? '–' : Math.round(v).toLocaleString('en-US'));

/** The page's Lighthouse targets (DESIGN.md: mobile, in each of 5 runs). */
const TARGET = { performance: 95, tbtMs: 150 } as const;

/** One row per run, then the median of each column and its spread (min–max). */
function runTable(runs: AuditSummary[], c: ReturnType<typeof combine>): Row[] {
  const cls = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(3));
  const row = (
    label: string,
    s: Partial<Record<Category, number | null>>,
    m: Partial<Record<Metric, number | null>>,
    index: number | string,
  ): Row => ({
    run: label,
    performance: s.performance ?? '–',
    accessibility: s.accessibility ?? '–',
    'best practices': s['best-practices'] ?? '–',
    SEO: s.seo ?? '–',
    'FCP ms': ms(m.FCP),
    'LCP ms': ms(m.LCP),
    'TBT ms': ms(m.TBT),
    CLS: cls(m.CLS),
    'Speed Index ms': ms(m['Speed Index']),
    'TTI ms': ms(m.TTI),
    'benchmark index': typeof index === 'number' ? Math.round(index) : index,
  });
  const rows = runs.map((r, i) => row(String(i + 1), r.scores, r.metrics, r.benchmarkIndex));
  if (runs.length < 2) return rows;
  const range = (xs: (number | null | undefined)[], f: (x: number) => string) => {
    const v = xs.filter((x): x is number => x != null);
    return v.length ? `${f(Math.min(...v))}–${f(Math.max(...v))}` : '–';
  };
  const whole = (x: number) => String(Math.round(x));
  const spread: Row = {
    run: 'min–max',
    ...Object.fromEntries(
      (
        [
          ['performance', 'performance'],
          ['accessibility', 'accessibility'],
          ['best practices', 'best-practices'],
          ['SEO', 'seo'],
        ] as const
      ).map(([label, cat]) => [
        label,
        range(
          runs.map((r) => r.scores[cat]),
          whole,
        ),
      ]),
    ),
    ...Object.fromEntries(
      (Object.keys(METRICS) as Metric[]).map((m) => [
        m === 'CLS' ? 'CLS' : `${m} ms`,
        range(
          runs.map((r) => r.metrics[m]),
          m === 'CLS' ? (x) => x.toFixed(3) : whole,
        ),
      ]),
    ),
    'benchmark index': range(
      runs.map((r) => r.benchmarkIndex),
      whole,
    ),
  };
  return [...rows, row('median', c.scores, c.metrics, c.benchmarkIndex), spread];
}

run(async () => {
  const o = parse<Options>(program);
  if (o.url !== undefined) {
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      throw new UsageError(`--url must be an http(s) URL, got '${o.url}'`);
    }
    if (!['http:', 'https:'].includes(url.protocol))
      throw new UsageError(`--url must be an http(s) URL, got '${o.url}'`);
  }
  const presets: Preset[] = o.preset === 'both' ? [...PRESETS] : [o.preset];

  // Ctrl-C (or a kill). wrangler's module, once imported, answers SIGINT/SIGTERM with process.exit()
  // (and miniflare's exit hook then stops workerd), so what must happen runs synchronously and first:
  // the exit code, and Chromium killed (chrome-launcher starts it detached, in a process group of its
  // own, where a Ctrl-C does not reach it). Errors the interrupted run throws are not reported.
  let worker: Promise<LocalWorker> | undefined;
  let interrupted = false;
  const stopAll = async () => {
    killAuditChromium();
    await worker?.then((w) => w.stop()).catch(() => {});
  };
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.prependOnceListener(signal, () => {
      interrupted = true;
      process.exitCode = code;
      killAuditChromium();
      process.stderr.write(`\n${signal}: stopping Chromium and the worker …\n`);
      // Where nothing else exits on the signal.
      void stopAll().finally(() => process.exit(code));
    });
  }

  const started = new Date();
  const loadBefore = loadavg();
  const results = new Map<Preset, AuditSummary[]>();
  try {
    let url = o.url;
    if (url === undefined) {
      process.stderr.write('building the page and starting the worker with the shipped model …\n');
      // Imported only here: wrangler is slow to load and not needed for --url.
      worker = import('./shipped-worker.ts').then((m) => m.startShippedWorker());
      url = `${(await worker).url}/`;
    }
    for (const preset of presets) {
      const runs: AuditSummary[] = [];
      for (let i = 1; i <= o.runs; i++) {
        process.stderr.write(`Lighthouse ${preset}, run ${i}/${o.runs}, ${url} …\n`);
        runs.push(await runLighthouse(url, preset));
      }
      results.set(preset, runs);
    }
  } catch (e) {
    if (interrupted) await new Promise(() => {});
    throw e;
  } finally {
    if (!interrupted) await stopAll();
  }
  const loadAfter = loadavg();

  const combined = new Map([...results].map(([p, runs]) => [p, combine(runs)]));
  const first = [...results.values()][0][0];
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  console.log(
    `\nLighthouse on ${first.url}, ${first.chromium} headless, ${started.toISOString()}; ` +
      `${o.runs} run${o.runs === 1 ? '' : 's'} per preset, each in a fresh Chromium`,
  );
  console.log(
    `load average (1 / 5 / 15 min) before ${load(loadBefore)}, after ${load(loadAfter)} on ${availableParallelism()} cores; ` +
      `Lighthouse's benchmark index ${[...combined].map(([p, c]) => `${p} ${Math.round(c.benchmarkIndex)}`).join(', ')}`,
  );
  for (const [preset, runs] of results) {
    const c = combined.get(preset) as ReturnType<typeof combine>;
    console.log(`\n${preset}\n${table(runTable(runs, c))}`);
    const perf = runs.map((r) => r.scores.performance ?? 0);
    const tbt = runs.map((r) => r.metrics.TBT ?? Number.POSITIVE_INFINITY);
    console.log(
      `${preset}: performance ≥ ${TARGET.performance} in ${perf.filter((p) => p >= TARGET.performance).length} of ` +
        `${runs.length} runs; total blocking time ≤ ${TARGET.tbtMs} ms in ` +
        `${tbt.filter((t) => t <= TARGET.tbtMs).length} of ${runs.length} (the targets: in each run, mobile)`,
    );
    runs.forEach((r, i) => {
      if ((r.metrics.TBT ?? 0) > TARGET.tbtMs)
        console.log(
          `  run ${i + 1}'s long tasks on the page's thread:\n${r.longTasks.map((t) => `    ${t}`).join('\n')}`,
        );
    });
  }
  for (const [preset, c] of combined) {
    const warnings = [...new Set(results.get(preset)?.flatMap((r) => r.warnings))];
    if (warnings.length)
      console.log(`\n${preset}: Lighthouse's warnings:\n${warnings.map((w) => `  ${w}`).join('\n')}`);
    const inRuns = (runs: number) => (o.runs > 1 ? `\n      (in ${runs} of ${o.runs} runs)` : '');
    if (!c.failing.length)
      console.log(`\n${preset}: no failing audit in accessibility, best practices or SEO`);
    else {
      console.log(`\n${preset}: failing audits (accessibility, best practices, SEO)`);
      for (const { audit, runs } of c.failing) console.log(formatFailing([audit]) + inRuns(runs));
    }
    if (c.workerIssues.length) {
      console.log(
        `\n${preset}: Issues-panel entries in the page's workers (not scored: Lighthouse looks at the page only)`,
      );
      for (const { issue, runs } of c.workerIssues) console.log(`  ${issue}${inRuns(runs)}`);
    }
  }
  if (o.json) {
    writeFileSync(
      o.json,
      `${JSON.stringify(
        {
          date: started.toISOString(),
          url: first.url,
          loadAverage: { before: loadBefore, after: loadAfter, cores: availableParallelism() },
          presets: Object.fromEntries(
            [...combined].map(([p, c]) => [p, { median: c, runs: results.get(p) }]),
          ),
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nwrote ${o.json}`);
  }
  return 0;
});
