// Where a cold navigation's time goes, from the test build's timeline (web/src/debug.ts): every
// request of the page and the engine (Resource Timing) and the steps they mark (web/src/engine/
// steps.ts). The waterfall lists them in order, each step with what it waited on: of the things it
// needs, the one that was ready last. The split says how long some request before the first grid
// was waiting for the server's first byte (here `wrangler dev`, a Node proxy in front of workerd,
// much slower than Cloudflare's edge) versus the page's own work.

import type { Mark, RequestTiming } from '../../web/src/engine/api.ts';
import { STEP } from '../../web/src/engine/steps.ts';

type Thread = 'page' | 'engine';
export interface Timeline {
  navigationStart: number;
  requests: (RequestTiming & { thread: Thread })[];
  marks: (Mark & { thread: Thread })[];
}

/** What each step of the cold path needs before it can start (requests are named by path pattern). */
export const NEEDS: Record<string, (string | RegExp)[]> = {
  [STEP.manifestRequest]: [/^\/assets\/index-[^/]+\.js$/],
  [STEP.engineCreated]: [/^\/assets\/index-[^/]+\.js$/],
  [STEP.engineEvaluated]: [/^\/assets\/worker-[^/]+\.js$/],
  [STEP.runtimeChoice]: [STEP.engineEvaluated],
  [STEP.wasmBinary]: [STEP.runtimeChoice],
  [STEP.tfjsCore]: [STEP.engineEvaluated],
  [STEP.backendScript]: [STEP.tfjsCore, STEP.runtimeChoice],
  [STEP.emscripten]: [STEP.wasmBinary],
  [STEP.runtimeStart]: [STEP.backendScript, STEP.emscripten],
  [STEP.manifest]: [STEP.manifestRequest, /^\/assets\/engine-[^/]+\.js$/],
  [STEP.files]: [STEP.manifest],
  [STEP.generator]: [STEP.runtimeStart, STEP.files],
  [STEP.generate]: [STEP.generator],
  [STEP.firstGrid]: [STEP.generate],
};

export interface WaterfallRow {
  /** ms since navigation start */
  start: number;
  end: number;
  thread: Thread;
  what: string;
  /** For a step: what it waited on (its latest-ready need) and when that was ready. */
  waitedOn?: { what: string; at: number };
}

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

/** The cold path up to the first grid, in start order, steps with what they waited on. */
export function waterfall(t: Timeline): WaterfallRow[] {
  const at = (epoch: number) => epoch - t.navigationStart;
  const drawn = t.marks.find((m) => m.name === STEP.firstGrid);
  const until = drawn ? drawn.end : Number.POSITIVE_INFINITY;
  const requests = t.requests.filter((r) => r.start <= until);
  const steps = t.marks.filter((m) => m.start <= until && m.name in NEEDS);
  const endOf = (need: string | RegExp): { what: string; at: number } | undefined => {
    if (typeof need === 'string') {
      const m = steps.find((s) => s.name === need);
      return m && { what: need, at: at(m.end) };
    }
    const r = requests.find((q) => need.test(pathOf(q.url)));
    return r && { what: pathOf(r.url), at: at(r.end) };
  };
  const rows: WaterfallRow[] = [
    ...requests.map((r) => ({
      start: at(r.start),
      end: at(Math.max(r.end, r.start)),
      thread: r.thread,
      what: `${pathOf(r.url)} (${(r.bytes / 1024).toFixed(1)} KB, first byte at ${at(r.firstByte).toFixed(0)})`,
    })),
    ...steps.map((m) => {
      const needs = NEEDS[m.name]
        .map(endOf)
        .filter((n): n is { what: string; at: number } => n !== undefined)
        .sort((a, b) => b.at - a.at);
      return { start: at(m.start), end: at(m.end), thread: m.thread, what: m.name, waitedOn: needs[0] };
    }),
  ];
  return rows.sort((a, b) => a.start - b.start || a.end - b.end);
}

export function formatWaterfall(rows: WaterfallRow[]): string {
  const ms = (x: number) => x.toFixed(0).padStart(5);
  return rows
    .map(
      (r) =>
        `${ms(r.start)} ${ms(r.end)}  ${r.thread.padEnd(6)} ${r.what}` +
        (r.waitedOn ? `  ← ${r.waitedOn.what} (${r.waitedOn.at.toFixed(0)})` : ''),
    )
    .join('\n');
}

/** Total length of the union of [start, end) intervals. */
export function unionMs(intervals: [number, number][]): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [from, to] = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (const [a, b] of sorted) {
    if (a > to) {
      if (to > from) total += to - from;
      [from, to] = [a, b];
    } else to = Math.max(to, b);
  }
  if (to > from) total += to - from;
  return total;
}

/**
 * Splits the time to the first drawn grid: how long at least one request before it was waiting
 * for the server's first byte, the rest, and the bytes of the page's first script.
 */
export function coldPath(
  navigationStart: number,
  firstDrawMs: number,
  requests: RequestTiming[],
): { serverWaitMs: number; pageMs: number; firstScriptBytes: number; requestsBefore: number } {
  const drawnAt = navigationStart + firstDrawMs;
  const before = requests.filter((r) => r.start < drawnAt);
  const serverWaitMs = unionMs(before.map((r) => [r.start, Math.min(r.firstByte, drawnAt)]));
  const firstScript = requests.find((r) => /\/assets\/index-[^/]+\.js$/.test(pathOf(r.url)));
  return {
    serverWaitMs,
    pageMs: firstDrawMs - serverWaitMs,
    firstScriptBytes: firstScript?.bytes ?? 0,
    requestsBefore: before.length,
  };
}
