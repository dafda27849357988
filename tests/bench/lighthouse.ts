// Lighthouse (12.2.3, through its Node API) on a page, in a Chromium of its own started by
// chrome-launcher with the flags the browser tests use, driven through Puppeteer (both come with
// Lighthouse). Shared by `npm run audit:web` (tests/bench/web.audit.ts) and the browser test that
// asserts the non-timing categories.
import { killAll, launch } from 'chrome-launcher';
import lighthouse, { type Artifacts, type Config, type Result } from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_FLAGS, findChromium } from '../browser/chromium.ts';

export const PRESETS = ['mobile', 'desktop'] as const;
export type Preset = (typeof PRESETS)[number];

/** mobile: Lighthouse's default config (a mid-range phone, 4× CPU slowdown, slow 4G, simulated). */
const CONFIGS: Record<Preset, Config | undefined> = { mobile: undefined, desktop: desktopConfig };

export const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
export type Category = (typeof CATEGORIES)[number];

/** The metrics printed, by their audit ids; CLS has no unit, the others are milliseconds. */
export const METRICS = {
  FCP: 'first-contentful-paint',
  LCP: 'largest-contentful-paint',
  TBT: 'total-blocking-time',
  CLS: 'cumulative-layout-shift',
  'Speed Index': 'speed-index',
  TTI: 'interactive',
} as const;
export type Metric = keyof typeof METRICS;

export interface FailingAudit {
  category: Category;
  id: string;
  title: string;
  /** 0–100, or null when the audit itself errored. */
  score: number | null;
  /** What Lighthouse points at: URLs, elements, issue types (the first few items of its details). */
  details: string[];
}

export interface AuditSummary {
  preset: Preset;
  url: string;
  /** 0–100 per category audited; null when Lighthouse could not score it. */
  scores: Partial<Record<Category, number | null>>;
  /** Only when the performance category ran. */
  metrics: Partial<Record<Metric, number>>;
  failing: FailingAudit[];
  /**
   * Issues-panel entries raised inside the page's workers. Lighthouse's inspector-issues audit
   * listens to the page alone, so e.g. a CSP violation in the module worker that runs the model
   * costs no points; these are collected beside it, in the same run.
   */
  workerIssues: string[];
  /** The page's main-thread tasks over 50 ms (what total blocking time adds up): where, when, how long. */
  longTasks: string[];
  warnings: string[];
  chromium: string;
  /** Lighthouse's measure of how fast this machine is right now (load on it lowers it). */
  benchmarkIndex: number;
}

/** Runs Lighthouse once, in a fresh Chromium (and profile) that is gone when this returns or throws. */
export async function runLighthouse(
  url: string,
  preset: Preset,
  categories: readonly Category[] = CATEGORIES,
): Promise<AuditSummary> {
  const chrome = await launch({
    chromePath: findChromium(),
    chromeFlags: [...CHROMIUM_FLAGS],
    // The caller decides what Ctrl-C does (it has a worker to stop too): killAuditChromium() below.
    handleSIGINT: false,
    logLevel: 'silent',
  });
  try {
    const browser = await puppeteer.connect({
      browserURL: `http://127.0.0.1:${chrome.port}`,
      defaultViewport: null, // Lighthouse emulates the preset's screen itself
    });
    try {
      const page = await browser.newPage();
      const workerIssues: string[] = [];
      page.on('workercreated', (worker) => {
        worker.client.on('Audits.issueAdded', ({ issue }) => {
          for (const [key, details] of Object.entries(issue.details))
            workerIssues.push(`${worker.url()}: ${describeIssue(key.replace(/Details$/, ''), details)}`);
        });
        // Issues raised before this reaches the worker are replayed on enable; a worker may be gone.
        worker.client.send('Audits.enable').catch(() => {});
      });
      const result = await lighthouse(
        url,
        { logLevel: 'error', output: 'json', onlyCategories: [...categories] },
        CONFIGS[preset],
        page,
      );
      if (!result) throw new Error(`Lighthouse returned no result for ${url}`);
      return { ...summarize(result.lhr, result.artifacts, preset, categories), workerIssues };
    } finally {
      await browser.disconnect();
    }
  } finally {
    chrome.kill();
  }
}

/** Kills every Chromium runLighthouse started and has not closed yet (for a signal handler). */
export function killAuditChromium(): void {
  killAll();
}

function summarize(
  lhr: Result,
  artifacts: Artifacts,
  preset: Preset,
  categories: readonly Category[],
): Omit<AuditSummary, 'workerIssues'> {
  if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  const scores: AuditSummary['scores'] = {};
  const failing: FailingAudit[] = [];
  for (const category of categories) {
    const cat = lhr.categories[category];
    scores[category] = cat?.score == null ? null : Math.round(cat.score * 100);
    if (!cat || category === 'performance') continue;
    for (const ref of cat.auditRefs) {
      const audit = lhr.audits[ref.id];
      const failed =
        audit.scoreDisplayMode === 'error' ||
        (['binary', 'numeric', 'metricSavings'].includes(audit.scoreDisplayMode) &&
          audit.score !== null &&
          audit.score < 1);
      if (!failed) continue;
      failing.push({
        category,
        id: audit.id,
        title: audit.title,
        score: audit.score === null ? null : Math.round(audit.score * 100),
        details: [
          ...(audit.errorMessage ? [audit.errorMessage] : []),
          ...(audit.explanation ? [audit.explanation] : []),
          ...detailLines(audit.details),
          ...(audit.id === 'inspector-issues' ? issueLines(artifacts.InspectorIssues) : []),
        ],
      });
    }
  }
  const metrics: AuditSummary['metrics'] = {};
  if (categories.includes('performance')) {
    for (const [label, id] of Object.entries(METRICS) as [Metric, string][]) {
      const value = lhr.audits[id]?.numericValue;
      if (value !== undefined) metrics[label] = value;
    }
  }
  return {
    preset,
    url: lhr.finalDisplayedUrl,
    scores,
    metrics,
    failing,
    longTasks: longTaskLines(lhr.audits['long-tasks']?.details),
    warnings: lhr.runWarnings,
    chromium: lhr.environment.hostUserAgent.match(/Chrome\/[\d.]+/)?.[0] ?? lhr.environment.hostUserAgent,
    benchmarkIndex: lhr.environment.benchmarkIndex,
  };
}

const MAX_ITEMS = 5;
const MAX_PART = 100;

const cap = (text: string, n = MAX_PART) => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};

/** A line per item of an audit's table or list: its plain fields first, then URLs, then elements. */
function detailLines(details: unknown): string[] {
  const items = isRecord(details) && Array.isArray(details.items) ? (details.items as unknown[]) : [];
  const lines = items.slice(0, MAX_ITEMS).map((item) => {
    const plain: string[] = [];
    const urls: string[] = [];
    const elements: string[] = [];
    if (isRecord(item)) {
      for (const [key, value] of Object.entries(item)) {
        if (typeof value === 'string' || typeof value === 'number') plain.push(cap(`${key}: ${value}`));
        else if (isRecord(value) && typeof value.snippet === 'string') elements.push(cap(value.snippet));
        else if (isRecord(value) && typeof value.url === 'string') urls.push(cap(`${key}: ${value.url}`));
        else if (isRecord(value) && Array.isArray(value.items)) plain.push(...detailLines(value));
      }
    }
    return [...plain, ...urls, ...elements].join(' · ');
  });
  if (items.length > MAX_ITEMS) lines.push(`… ${items.length - MAX_ITEMS} more`);
  return lines.filter((l) => l !== '');
}

/** Lighthouse's long tasks (simulated under the preset's CPU slowdown), one line each. */
function longTaskLines(details: unknown): string[] {
  const items = isRecord(details) && Array.isArray(details.items) ? (details.items as unknown[]) : [];
  return items.filter(isRecord).map((t) => {
    const ms = (k: string) => (typeof t[k] === 'number' ? Math.round(t[k]) : '?');
    return `${ms('duration')} ms at ${ms('startTime')} ms: ${cap(String(t.url ?? 'unattributed'))}`;
  });
}

/** The issues themselves: the audit names only their kinds, the artifact says where they arose. */
function issueLines(issues: Artifacts['InspectorIssues']): string[] {
  return Object.entries(issues).flatMap(([kind, list]) =>
    Array.isArray(list) ? list.slice(0, MAX_ITEMS).map((details) => describeIssue(kind, details)) : [],
  );
}

/** One issue (CDP Audits' details of `kind`, e.g. contentSecurityPolicyIssue) on one line. */
function describeIssue(kind: string, details: unknown): string {
  if (kind === 'contentSecurityPolicyIssue' && isRecord(details)) {
    const at = isRecord(details.sourceCodeLocation) ? details.sourceCodeLocation : undefined;
    return (
      `CSP ${details.contentSecurityPolicyViolationType} (${details.violatedDirective})` +
      (typeof details.blockedURL === 'string' ? ` blocking ${details.blockedURL}` : '') +
      // CDP counts lines and columns from 0.
      (at ? ` at ${at.url}:${Number(at.lineNumber) + 1}:${Number(at.columnNumber) + 1}` : '')
    );
  }
  return `${kind}: ${cap(JSON.stringify(details), 200)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The failing audits as lines for a terminal or a test's failure message. */
export function formatFailing(failing: readonly FailingAudit[]): string {
  return failing
    .map((f) =>
      [
        `  ${f.category}: ${f.id} (${f.score === null ? 'error' : f.score}): ${f.title}`,
        ...f.details.map((d) => `      ${d}`),
      ].join('\n'),
    )
    .join('\n');
}
