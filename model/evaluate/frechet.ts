import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Mean and covariance (unbiased, n − 1) of n row vectors of dimension d stored row-major. */
export function gaussianFit(x: Float32Array | Float64Array, d: number): { mean: Float64Array; cov: Matrix } {
  const n = x.length / d;
  if (!Number.isInteger(n) || n < 2)
    throw new Error(`gaussianFit: need at least 2 vectors of ${d}, got ${x.length} values`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centered = new Matrix(n, d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centered.set(i, j, x[i * d + j] - mean[j]);
  const cov = centered
    .transpose()
    .mmul(centered)
    .div(n - 1);
  return { mean, cov };
}

/** Symmetric PSD square root via an eigen-decomposition; tiny negative eigenvalues (rounding) clip to 0. */
export function sqrtPsd(a: Matrix): Matrix {
  const e = new EigenvalueDecomposition(a, { assumeSymmetric: true });
  const v = e.eigenvectorMatrix;
  const root = e.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  return v.mmul(Matrix.diag(root)).mmul(v.transpose());
}

/**
 * Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2):
 *   ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2 Tr((Σ1 Σ2)^½).
 * Σ1Σ2 is not symmetric, so its square root is taken the sound way: with S = Σ1^½,
 * Tr((Σ1 Σ2)^½) = Tr((S Σ2 S)^½), and S Σ2 S is symmetric PSD (its eigenvalues' square roots sum to it).
 */
export function frechetDistance(
  a: { mean: Float64Array; cov: Matrix },
  b: { mean: Float64Array; cov: Matrix },
): number {
  let meanTerm = 0;
  for (let j = 0; j < a.mean.length; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const s = sqrtPsd(a.cov);
  const m = s.mmul(b.cov).mmul(s);
  // Symmetrise against rounding before the eigen-decomposition.
  const sym = m.add(m.transpose()).div(2);
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const traceSqrt = e.realEigenvalues.reduce((acc, l) => acc + Math.sqrt(Math.max(l, 0)), 0);
  return Math.max(0, meanTerm + a.cov.trace() + b.cov.trace() - 2 * traceSqrt);
}
