import * as tf from '@tensorflow/tfjs-core';

/** Squared distances from each row of `a` to every row of `b` (|a|² + |b|² − 2ab), clipped at 0. */
function sqDistances(a: tf.Tensor2D, b: tf.Tensor2D, bNorms: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const aNorms = tf.sum(tf.square(a), 1, true);
    const cross = tf.matMul(a, b, false, true);
    return tf.relu(tf.add(tf.sub(aNorms, tf.mul(cross, 2)), bNorms)) as tf.Tensor2D;
  });
}

const CHUNK = 1000;

/** Squared distance from each vector to its k-th nearest neighbour in the same set (itself excluded). */
export function kthNeighbourRadii(x: tf.Tensor2D, k: number): Float32Array {
  const n = x.shape[0];
  const out = new Float32Array(n);
  const norms = tf.sum(tf.square(x), 1);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    tf.tidy(() => {
      const d = sqDistances(tf.slice(x, [i, 0], [m, -1]), x, norms as tf.Tensor1D);
      // The nearest is the vector itself (distance 0): take the (k+1)-th smallest.
      const { values } = tf.topk(tf.neg(d), k + 1);
      out.set(tf.neg(tf.slice(values, [0, k], [m, 1])).dataSync(), i);
    });
  }
  norms.dispose();
  return out;
}

/** Share of `query` vectors inside at least one k-NN ball of `support` (ball radii given). */
function coverage(query: tf.Tensor2D, support: tf.Tensor2D, radii: Float32Array): number {
  const norms = tf.sum(tf.square(support), 1);
  const r = tf.tensor1d(radii);
  let inside = 0;
  for (let i = 0; i < query.shape[0]; i += CHUNK) {
    const m = Math.min(CHUNK, query.shape[0] - i);
    inside += tf.tidy(() => {
      const d = sqDistances(tf.slice(query, [i, 0], [m, -1]), support, norms as tf.Tensor1D);
      return tf.sum(tf.cast(tf.any(tf.lessEqual(d, r), 1), 'float32')).dataSync()[0];
    });
  }
  tf.dispose([norms, r]);
  return inside / query.shape[0];
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) in feature space: precision = share of
 * generated samples inside the real manifold (union of real k-NN balls), recall = share of real
 * samples inside the generated manifold.
 */
export function precisionRecall(
  real: Float32Array,
  fake: Float32Array,
  dim: number,
  k = 3,
): { precision: number; recall: number } {
  const r = tf.tensor2d(real, [real.length / dim, dim]);
  const f = tf.tensor2d(fake, [fake.length / dim, dim]);
  try {
    const precision = coverage(f, r, kthNeighbourRadii(r, k));
    const recall = coverage(r, f, kthNeighbourRadii(f, k));
    return { precision, recall };
  } finally {
    tf.dispose([r, f]);
  }
}
