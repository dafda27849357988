import cliProgress from 'cli-progress';
import type { StepStats } from './gan.ts';

export interface Progress {
  update(
    step: number,
    total: number | null,
    stats: StepStats,
    stepsPerSec: number,
    etaSec: number | null,
  ): void;
  stop(): void;
}

/**
 * Steps per second over about the last `windowSec` seconds (over the whole run until it is that
 * old): the speed now. A run-long average hides a change of the machine's load for hours, and an
 * ETA built on it is as wrong (a run that shared the cores for an hour still showed half its
 * speed an hour after it had them back).
 */
export function speedometer(windowSec = 60, now = () => performance.now() / 1000) {
  const marks: { t: number; step: number }[] = [];
  let start = 0; // the window's first mark: the newest at least windowSec old
  return {
    /** Records that `step` is done now; returns the speed up to it. Called every step: O(1) amortized. */
    mark(step: number): number {
      const t = now();
      marks.push({ t, step });
      while (start < marks.length - 2 && t - marks[start + 1].t >= windowSec) start++;
      if (start > 1024 && start * 2 > marks.length) {
        marks.splice(0, start);
        start = 0;
      }
      const first = marks[start];
      return t > first.t ? (step - first.step) / (t - first.t) : 0;
    },
  };
}

export const formatDuration = (sec: number): string => {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
};

const fmt = (stats: StepStats) =>
  `D ${stats.dLoss.toFixed(3)} G ${stats.gLoss.toFixed(3)} | D(x) ${stats.dReal.toFixed(2)} D(G(z)) ${stats.dFake.toFixed(2)}`;

/** A live bar on a terminal; plain lines every `every` steps otherwise (CI logs, files). */
export function createProgress(isTTY: boolean, every: number): Progress {
  if (!isTTY) {
    return {
      update(step, total, stats, sps, eta) {
        if (step % every !== 0 && step !== total) return;
        const of = total === null ? '' : `/${total}`;
        console.log(
          `step ${step}${of} | ${fmt(stats)} | ${sps.toFixed(2)} steps/s | ETA ${formatDuration(eta ?? Number.NaN)}`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: 'step {value}/{total} |{bar}| {stats} | {speed} steps/s | ETA {etaText}',
      hideCursor: true,
      barsize: 24,
      // The caller decides "terminal or not" from stdout, so draw there.
      stream: process.stdout,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(step, total, stats, sps, eta) {
      const payload = {
        stats: fmt(stats),
        speed: sps.toFixed(2),
        etaText: formatDuration(eta ?? Number.NaN),
      };
      const t = total ?? Math.max(step, Math.round(step + (eta ?? 0) * sps));
      if (!started) {
        bar.start(t, step, payload);
        started = true;
      } else {
        bar.setTotal(t);
        bar.update(step, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
