// The style-row filter's rule (contract/style-filter.ts), on scripted readings: which rows get new
// noise, which noise, and what is kept when no noise reads well. The real generator and classifier
// are exercised by the grids (tests/integration/grids.test.ts) and page (tests/browser) tests.
import { describe, expect, it } from 'vitest';
import {
  filterStyleRows,
  type Latents,
  latents,
  replacementNoise,
  rowScores,
  STYLE_FILTER,
  styleLatents,
  styleRows,
} from '../../contract/index.ts';

const [dim, classes] = [4, 10];

/** Log-probabilities that give each row of `l` the score `score(row's first noise value)`. */
function readBy(score: (z0: number) => number, calls: number[] = []) {
  return (l: Latents, n: number) => {
    calls.push(n / classes);
    const out = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) out[i * classes + l.labels![i]] = score(l.z[i * dim]);
    return out;
  };
}

describe('the style-row filter', () => {
  it("scores a row by the mean log-probability of each column's digit", () => {
    const lp = new Float32Array(2 * classes * classes).fill(-9);
    for (let c = 0; c < classes; c++) {
      lp[c * classes + c] = -0.1 * c; // row 1: −0 … −0.9, mean −0.45
      lp[(classes + c) * classes + c] = 0; // row 2: read perfectly
    }
    expect(Array.from(rowScores(lp, 2, classes))).toEqual([expect.closeTo(-0.45, 6), 0]);
  });

  it('keeps the rows it reads well, to the bit, and redraws the others from the seed, the row and the attempt', async () => {
    const base = latents(9, 6, dim, 0, 'any').z;
    const bad = new Set([base[2 * dim], base[5 * dim]]); // rows 3 and 6 read badly, any new noise well
    const calls: number[] = [];
    const f = await filterStyleRows(
      9,
      base,
      dim,
      classes,
      readBy((z0) => (bad.has(z0) ? -1 : 0), calls),
    );
    expect(f.redrawn).toEqual([2, 5]);
    expect(calls).toEqual([6, 2]); // every row once, then only the two
    const expected = Float32Array.from(base);
    expected.set(replacementNoise(9, 2, 1, dim), 2 * dim);
    expected.set(replacementNoise(9, 5, 1, dim), 5 * dim);
    expect(f.latents).toEqual(styleRows(expected, 6, dim, classes));
    // Nothing read badly: the seed's own grid, as the unfiltered page drew it.
    const clean = await filterStyleRows(
      9,
      base,
      dim,
      classes,
      readBy(() => 0),
    );
    expect(clean).toEqual({ latents: styleLatents(9, 6, dim, classes), redrawn: [] });
  });

  it('redraws only below the threshold; when no noise passes, keeps the best-read of all the attempts', async () => {
    const base = latents(3, 2, dim, 0, 'any').z;
    const above: number[] = [];
    const justAbove = await filterStyleRows(
      3,
      base,
      dim,
      classes,
      readBy(() => STYLE_FILTER.threshold + 1e-3, above),
    );
    expect([justAbove.redrawn, above]).toEqual([[], [2]]); // one read of both rows, nothing more
    const below: number[] = [];
    await filterStyleRows(
      3,
      base,
      dim,
      classes,
      readBy(() => STYLE_FILTER.threshold - 1e-3, below),
    );
    expect(below).toEqual(Array(STYLE_FILTER.attempts + 1).fill(2));
    // Every vector reads badly; the second row's attempt 4 reads least badly.
    const best = replacementNoise(3, 1, 4, dim)[0];
    const calls: number[] = [];
    const f = await filterStyleRows(
      3,
      base,
      dim,
      classes,
      readBy((z0) => (z0 === best ? -0.5 : -3), calls),
    );
    expect(calls).toEqual(Array(STYLE_FILTER.attempts + 1).fill(2));
    expect(f.redrawn).toEqual([1]); // the first row keeps its own noise: no attempt read better
    expect(f.latents.z.subarray(classes * dim, classes * dim + dim)).toEqual(replacementNoise(3, 1, 4, dim));
    expect(f.latents.z.subarray(0, dim)).toEqual(base.subarray(0, dim));
  });

  it('draws other noise for each seed, row and attempt, the same noise every time', () => {
    const a = replacementNoise(9, 9, 1, 64);
    expect(replacementNoise(9, 9, 1, 64)).toEqual(a);
    for (const other of [
      replacementNoise(8, 9, 1, 64),
      replacementNoise(9, 8, 1, 64),
      replacementNoise(9, 9, 2, 64),
    ])
      expect(other).not.toEqual(a);
    // Not a row of the seed's own grid either.
    const own = latents(9, 10, 64, 0, 'any').z;
    for (let r = 0; r < 10; r++) expect(own.subarray(r * 64, (r + 1) * 64)).not.toEqual(a);
  });
});
