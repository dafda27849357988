import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { lossChartSvg } from './chart.ts';
import type { StepStats } from './gan.ts';

/** One line of `metrics.jsonl`: means over the steps since the previous line. */
export interface MetricLine extends StepStats {
  step: number;
  epoch: number;
  stepsPerSec: number;
  seconds: number;
  time: string;
}

const file = (out: string) => join(out, 'metrics.jsonl');

export function readMetrics(out: string): MetricLine[] {
  if (!existsSync(file(out))) return [];
  return readFileSync(file(out), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as MetricLine];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

/** Appends the mean of `window` as one line and redraws `losses.svg`. */
export function appendMetrics(
  out: string,
  window: StepStats[],
  at: { step: number; stepsPerEpoch: number; stepsPerSec: number; seconds: number },
): void {
  const mean = (k: keyof StepStats) => window.reduce((a, s) => a + s[k], 0) / window.length;
  const line: MetricLine = {
    step: at.step,
    epoch: +(at.step / at.stepsPerEpoch).toFixed(3),
    dLoss: mean('dLoss'),
    gLoss: mean('gLoss'),
    dReal: mean('dReal'),
    dFake: mean('dFake'),
    stepsPerSec: +at.stepsPerSec.toFixed(3),
    seconds: +at.seconds.toFixed(1),
    time: new Date().toISOString(),
  };
  appendFileSync(file(out), `${JSON.stringify(line)}\n`);
  writeFileAtomic(
    join(out, 'losses.svg'),
    lossChartSvg(readMetrics(out), 'GAN losses (mean per logged interval)'),
  );
}

/** Drops lines logged after the checkpoint a resume starts from, so no step appears twice. */
export function truncateMetrics(out: string, step: number): void {
  if (!existsSync(file(out))) return;
  const kept = readMetrics(out).filter((m) => m.step <= step);
  writeFileAtomic(file(out), kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
}
