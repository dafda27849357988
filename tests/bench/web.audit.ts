// npm run audit:web: Lighthouse on the product as `npm start` serves it (the page built, the shipped
// model in a local R2, the worker through wrangler, offline), mobile and desktop presets: the four
// category scores, the load metrics, and every failing audit of the non-performance categories.
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
  'Lighthouse (mobile and desktop presets) on the locally served page: category scores, load metrics, failing audits.',
)
  .addOption(choice('--preset <name>', 'which Lighthouse preset', [...PRESETS, 'both']).default('both'))
  .option('--runs <n>', 'runs per preset; the numbers printed are their medians', integer('--runs', 1, 99), 1)
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

const ms = (v: number | null) => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));

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
  const rows: Row[] = [...combined].map(([preset, c]) => ({
    preset,
    runs: o.runs,
    performance: c.scores.performance ?? '–',
    accessibility: c.scores.accessibility ?? '–',
    'best practices': c.scores['best-practices'] ?? '–',
    SEO: c.scores.seo ?? '–',
    'FCP ms': ms(c.metrics.FCP),
    'LCP ms': ms(c.metrics.LCP),
    'TBT ms': ms(c.metrics.TBT),
    CLS: c.metrics.CLS === null ? '–' : c.metrics.CLS.toFixed(3),
    'Speed Index ms': ms(c.metrics['Speed Index']),
    'TTI ms': ms(c.metrics.TTI),
  }));
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  console.log(
    `\nLighthouse on ${first.url}, ${first.chromium} headless, ${started.toISOString()}` +
      `${o.runs > 1 ? `; medians of ${o.runs} runs each` : ''}`,
  );
  console.log(
    `load average (1 / 5 / 15 min) before ${load(loadBefore)}, after ${load(loadAfter)} on ${availableParallelism()} cores; ` +
      `Lighthouse's benchmark index ${[...combined].map(([p, c]) => `${p} ${Math.round(c.benchmarkIndex)}`).join(', ')}`,
  );
  console.log(`\n${table(rows)}`);
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
