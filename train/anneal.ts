/**
 * Linear learning-rate annealing for the end of a run: both networks' rates fall in a straight
 * line from their full values at step `from` to zero at the final step. Late in a GAN run the
 * full rate keeps both players circling (measured here: FID rose from 4.4 at 8,000 steps to 5.3 at
 * 16,000 while D pulled ahead); shrinking the steps lets them settle, and the EMA of G then averages
 * over a smaller orbit.
 *
 * Returns the factor for the update that takes the run from `step` to `step + 1`.
 */
export function annealFactor(step: number, from: number | null, target: number | null): number {
  if (from === null || target === null || step < from) return 1;
  return Math.max(0, (target - step) / (target - from));
}
