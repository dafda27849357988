// Where a cold navigation's time goes: waiting on the server (here `wrangler dev`, a Node proxy in
// front of workerd, much slower than Cloudflare's edge) versus the page's own work (parsing,
// compiling, the WASM start, running the model). Resource Timing from the page and its engine.

import type { RequestTiming } from '../../web/src/engine/api.ts';

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
  const firstScript = requests.find((r) => /\/assets\/index-[^/]+\.js$/.test(new URL(r.url).pathname));
  return {
    serverWaitMs,
    pageMs: firstDrawMs - serverWaitMs,
    firstScriptBytes: firstScript?.bytes ?? 0,
    requestsBefore: before.length,
  };
}
