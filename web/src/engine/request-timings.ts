import type { Mark, RequestTiming } from './api.ts';

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

/** This thread's marks and measures (the steps of its cold path), on the epoch clock. */
export function marks(): Mark[] {
  const t0 = performance.timeOrigin;
  return [...performance.getEntriesByType('mark'), ...performance.getEntriesByType('measure')].map((e) => ({
    name: e.name,
    start: t0 + e.startTime,
    end: t0 + e.startTime + e.duration,
  }));
}
