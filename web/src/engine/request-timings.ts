import type { RequestTiming } from './api.ts';

/** This thread's requests from Resource Timing, on the epoch clock so threads can be compared. */
export function requestTimings(): RequestTiming[] {
  const t0 = performance.timeOrigin;
  return (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
    url: e.name,
    start: t0 + e.startTime,
    firstByte: t0 + (e.responseStart || e.startTime),
    end: t0 + e.responseEnd,
    bytes: e.transferSize,
  }));
}
