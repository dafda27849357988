// Quality metrics: analytic cases, identities, and real MNIST features from both shipped classifiers.
import { Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { classify, loadShippedClassifier } from '../../model/classifier/classify.ts';
import { METRIC_ARCHS } from '../../model/classifier/model.ts';
import { frechetDistance, gaussianFit } from '../../model/evaluate/frechet.ts';
import { precisionRecall } from '../../model/evaluate/precision-recall.ts';
import {
  classAccuracy,
  classKL,
  inceptionScore,
  perClassAccuracy,
  worstClass,
} from '../../model/evaluate/scores.ts';
import { selectBackend } from '../../train/backend.ts';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import { Rng } from '../../train/rng.ts';

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});

const gaussian = (mean: number[], cov: number[][]) => ({
  mean: Float64Array.from(mean),
  cov: new Matrix(cov),
});

/** n samples of N(mean, L Lᵀ), row-major. */
function sample(rng: Rng, n: number, mean: number[], chol: number[][]): Float64Array {
  const d = mean.length;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, () => rng.normal());
    for (let r = 0; r < d; r++) {
      let v = mean[r];
      for (let c = 0; c <= r; c++) v += chol[r][c] * z[c];
      out[i * d + r] = v;
    }
  }
  return out;
}

describe('Fréchet distance', () => {
  it('analytic cases', () => {
    // Diagonal: ‖μ1−μ2‖² + Σ (σ1 − σ2)².
    expect(
      frechetDistance(
        gaussian(
          [0, 0],
          [
            [1, 0],
            [0, 4],
          ],
        ),
        gaussian(
          [3, 4],
          [
            [4, 0],
            [0, 1],
          ],
        ),
      ),
    ).toBeCloseTo(27, 9);
    // Non-diagonal: Σ1 = I, Σ2 = R diag(4, 9) Rᵀ ⇒ Tr(Σ2^½) = 5 ⇒ 2 + 13 − 2·5 = 5.
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const rot = new Matrix([
      [c, -s],
      [s, c],
    ]);
    const cov2 = rot
      .mmul(Matrix.diag([4, 9]))
      .mmul(rot.transpose())
      .to2DArray();
    expect(
      frechetDistance(
        gaussian(
          [1, 1],
          [
            [1, 0],
            [0, 1],
          ],
        ),
        gaussian([1, 1], cov2),
      ),
    ).toBeCloseTo(5, 9);
    // Symmetric, and zero for identical Gaussians.
    const a = gaussian(
      [0.5, -1],
      [
        [2, 0.3],
        [0.3, 1],
      ],
    );
    expect(frechetDistance(a, a)).toBeCloseTo(0, 9);
    expect(frechetDistance(a, gaussian([0, 0], cov2))).toBeCloseTo(
      frechetDistance(gaussian([0, 0], cov2), a),
      9,
    );
  });

  it('from samples: ≈ 0 for a set against itself, ≈ the analytic value for two sampled Gaussians', () => {
    const rng = new Rng(4);
    const x = sample(
      rng,
      20_000,
      [0, 0, 0],
      [
        [1, 0, 0],
        [0.5, 1, 0],
        [0, 0.2, 2],
      ],
    );
    const fx = gaussianFit(x, 3);
    expect(frechetDistance(fx, fx)).toBeLessThan(1e-9);
    const y = sample(
      rng,
      20_000,
      [1, 0, 0],
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    );
    const exact = frechetDistance(
      gaussian(
        [0, 0, 0],
        [
          [1, 0.5, 0],
          [0.5, 1.25, 0.2],
          [0, 0.2, 4.04],
        ],
      ),
      gaussian(
        [1, 0, 0],
        [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      ),
    );
    expect(frechetDistance(fx, gaussianFit(y, 3))).toBeCloseTo(exact, 1);
  });
});

describe('precision and recall (k = 3)', () => {
  const rng = new Rng(9);
  const cloud = (n: number, shift: number) =>
    Float32Array.from(
      sample(
        rng,
        n,
        [shift, 0, 0, 0],
        [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1],
        ],
      ),
    );
  it('identical sets: 1 and 1', () => {
    const x = cloud(800, 0);
    expect(precisionRecall(x, x, 4)).toEqual({ precision: 1, recall: 1 });
  });
  it('far apart: 0 and 0; a collapsed generator: high precision, recall near 0', () => {
    expect(precisionRecall(cloud(800, 0), cloud(800, 50), 4)).toEqual({ precision: 0, recall: 0 });
    const real = cloud(800, 0);
    const collapsed = new Float32Array(800 * 4).map((_, i) => (i % 4 === 0 ? 0.1 : 0));
    const pr = precisionRecall(real, collapsed, 4);
    expect(pr.precision).toBe(1);
    expect(pr.recall).toBeLessThan(0.05);
  });
});

describe('class scores', () => {
  const oneHot = (classes: number[]) => {
    const p = new Float32Array(classes.length * 10);
    classes.forEach((c, i) => {
      p[i * 10 + c] = 1;
    });
    return p;
  };
  it('inception score, class KL, class accuracy', () => {
    const all = oneHot(Array.from({ length: 1000 }, (_, i) => i % 10));
    const ones = oneHot(Array.from({ length: 1000 }, () => 1));
    expect(inceptionScore(all)).toBeCloseTo(10, 6);
    expect(inceptionScore(ones)).toBeCloseTo(1, 6);
    expect(inceptionScore(new Float32Array(1000 * 10).fill(0.1))).toBeCloseTo(1, 6);
    expect(classKL(all)).toBeCloseTo(0, 9);
    expect(classKL(ones)).toBeCloseTo(Math.log(10), 6);
    expect(
      classAccuracy(
        all,
        Array.from({ length: 1000 }, (_, i) => i % 10),
      ),
    ).toBe(1);
    expect(
      classAccuracy(
        all,
        Array.from({ length: 1000 }, () => 3),
      ),
    ).toBeCloseTo(0.1, 9);
  });
  it('per-class accuracy and the worst class', () => {
    // Asked for 0-9 round robin; the classifier reads every asked-for 8 as a 3, and one 4 in ten as a 9.
    const requested = Array.from({ length: 1000 }, (_, i) => i % 10);
    const read = requested.map((c, i) => (c === 8 ? 3 : c === 4 && i % 100 === 4 ? 9 : c));
    const each = perClassAccuracy(oneHot(read), requested);
    expect(each).toHaveLength(10);
    expect(each[8]).toBe(0);
    expect(each[4]).toBeCloseTo(0.9, 9);
    expect(each.filter((a) => a === 1)).toHaveLength(8);
    expect(worstClass(each)).toEqual({ digit: 8, accuracy: 0 });
    // The overall number is their mean when every class is asked equally often.
    expect(classAccuracy(oneHot(read), requested)).toBeCloseTo(each.reduce((a, b) => a + b) / 10, 9);
  });
});

// The project's feature space (cnn) and the second one (mlp) must both tell real digits from broken ones.
describe.each(METRIC_ARCHS)('on real MNIST features (shipped %s classifier)', (arch) => {
  it('real digits score near the floor; broken generators score clearly worse where they should', async () => {
    const classifier = await loadShippedClassifier(arch);
    const test = loadMnist('test');
    const train = loadMnist('train');
    const n = 2000;
    const real = classify(classifier, test.images.subarray(0, n * PIXELS));
    const other = classify(classifier, train.images.subarray(0, n * PIXELS));
    // "Generator" 1: constant output (the mean digit). 2: only ones.
    const meanDigit = new Float32Array(PIXELS);
    for (let i = 0; i < n; i++)
      for (let p = 0; p < PIXELS; p++) meanDigit[p] += test.images[i * PIXELS + p] / n;
    const constant = classify(
      classifier,
      new Float32Array(n * PIXELS).map((_, i) => meanDigit[i % PIXELS]),
    );
    const onesIdx = Array.from({ length: train.count }, (_, i) => i)
      .filter((i) => train.labels[i] === 1)
      .slice(0, n);
    const onesImages = new Float32Array(onesIdx.length * PIXELS);
    onesIdx.forEach((k, i) => {
      onesImages.set(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    });
    const ones = classify(classifier, onesImages);

    const dim = real.dim;
    const fid = (a: Float32Array, b: Float32Array) =>
      frechetDistance(gaussianFit(a, dim), gaussianFit(b, dim));
    const floor = fid(other.features, real.features);
    expect(fid(constant.features, real.features)).toBeGreaterThan(20 * floor);
    expect(fid(ones.features, real.features)).toBeGreaterThan(20 * floor);
    expect(inceptionScore(other.probs)).toBeGreaterThan(9);
    expect(classKL(ones.probs)).toBeGreaterThan(2);
    expect(classKL(other.probs)).toBeLessThan(0.02);
    const prReal = precisionRecall(real.features, other.features, dim);
    expect(prReal.precision).toBeGreaterThan(0.6);
    expect(prReal.recall).toBeGreaterThan(0.6);
    expect(precisionRecall(real.features, constant.features.slice(0, 50 * dim), dim).recall).toBeLessThan(
      0.05,
    );
    expect(precisionRecall(real.features, ones.features, dim).recall).toBeLessThan(0.3);
  });
});
