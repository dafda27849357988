// The style grid's filter. A style row is one noise vector written as every digit, and a few vectors
// give a broken hand for all ten (docs/training.md, "The style-row filter"). A small classifier of
// its own (contract/style-filter/, `npm run train:classifier -- --arch filter`; neither of the
// metrics' classifiers) reads each row; a row it reads badly gets a new noise vector, drawn from the
// seed, the row and the attempt, so the page and Node (`npm run grids`) draw the same grid.
import { type Latents, latents, styleRows } from './latent.ts';

export const STYLE_FILTER = {
  /**
   * A row whose digits the filter reads as the digit asked for with a mean log-probability below
   * this is redrawn: the worst 2.4 % of the shipped model's rows (`npm run bench:style-filter`:
   * random rows' 2nd percentile −0.44, median −0.001), among them seed 9's broken last row (−0.92).
   */
  threshold: -0.4,
  /** New vectors tried per row; if none passes, the best-read of all is kept. */
  attempts: 8,
} as const;

/** The noise vector tried for `row` of the seed's style grid at `attempt` (1, 2, …). */
export function replacementNoise(seed: number, row: number, attempt: number, dim: number): Float32Array {
  const mixed = Math.imul(seed, 0x9e3779b1) ^ Math.imul(row + 1, 0x85ebca6b) ^ Math.imul(attempt, 0xc2b2ae35);
  return latents(mixed >>> 0, 1, dim, 0, 'any').z;
}

/** Each row's mean log-probability of the digit asked for, from the filter's n × classes log-probabilities. */
export function rowScores(logProbs: Float32Array, rows: number, classes: number): Float32Array {
  const scores = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += logProbs[(r * classes + c) * classes + c];
    scores[r] = s / classes;
  }
  return scores;
}

/**
 * Reads the style grid's rows (`base`, rows × dim, as `latents` draws them for the seed) and redraws
 * those read badly. `read` draws the given latents' digits and returns the filter's log-probabilities
 * (n × classes). Returns the grid's latents and the rows (0-based) that got a new vector.
 */
export async function filterStyleRows(
  seed: number,
  base: Float32Array,
  dim: number,
  classes: number,
  read: (l: Latents, n: number) => Float32Array | Promise<Float32Array>,
): Promise<{ latents: Latents; redrawn: number[] }> {
  const rows = base.length / dim;
  const z = Float32Array.from(base);
  const best = new Float32Array(rows).fill(Number.NEGATIVE_INFINITY);
  const bestZ = Float32Array.from(base);
  let pending = Array.from({ length: rows }, (_, r) => r);
  for (let attempt = 0; pending.length > 0 && attempt <= STYLE_FILTER.attempts; attempt++) {
    if (attempt > 0) for (const r of pending) z.set(replacementNoise(seed, r, attempt, dim), r * dim);
    const batch = new Float32Array(pending.length * dim);
    pending.forEach((r, i) => {
      batch.set(z.subarray(r * dim, (r + 1) * dim), i * dim);
    });
    const scores = rowScores(
      await read(styleRows(batch, pending.length, dim, classes), pending.length * classes),
      pending.length,
      classes,
    );
    pending = pending.filter((r, i) => {
      if (scores[i] > best[r]) {
        best[r] = scores[i];
        bestZ.set(z.subarray(r * dim, (r + 1) * dim), r * dim);
      }
      return scores[i] < STYLE_FILTER.threshold;
    });
  }
  const redrawn: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < dim; j++)
      if (bestZ[r * dim + j] !== base[r * dim + j]) {
        redrawn.push(r);
        break;
      }
  return { latents: styleRows(bestZ, rows, dim, classes), redrawn };
}
