/**
 * Learning-rate annealing for the end of a run: both networks' rates fall from their full values
 * at step `from` to zero at the final step. Late in a GAN run the full rate keeps both players
 * circling (measured here: FID rose from 4.4 at 8,000 steps to 5.3 at 16,000 while D pulled ahead);
 * shrinking the steps lets them settle, and the EMA of G then averages over a smaller orbit.
 *
 * `linear` falls in a straight line; `cosine` (half a cosine, Loshchilov & Hutter 2017) stays near
 * the full rate longer and spends more of the steps at small rates near the end.
 *
 * With `restart`, the rates fall twice: to zero at `restart` first, then back onto the fall from
 * `from` to the final step, and down it to zero. That is the shipped model's run (docs/training.md):
 * 20,000 steps annealed from 10,000, then continued to 30,000, which put the rates back at half.
 */
export const LR_SCHEDULES = ['linear', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export interface Annealing {
  /** The step the rates start to fall at; null = never. */
  from: number | null;
  /** Where the first fall ends (from ≤ restart < the final step); null = one fall. */
  restart: number | null;
  schedule: LrSchedule;
}

/** The factor for the update that takes the run from `step` to `step + 1`. */
export function annealFactor(step: number, target: number | null, a: Annealing): number {
  const { from, restart } = a;
  if (from === null || target === null || step < from) return 1;
  const end = restart !== null && step < restart ? restart : target;
  const left = Math.max(0, (end - step) / (end - from)); // 1 at `from`, 0 at the fall's end
  return a.schedule === 'linear' ? left : 0.5 * (1 - Math.cos(Math.PI * left));
}
