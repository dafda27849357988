import * as tf from '@tensorflow/tfjs-core';

/**
 * Top-k training (Sinha et al. 2020, "Top-k Training of GANs: Improving GAN Performance by Throwing
 * Away Bad Samples"): G learns only from the fakes of each batch that D already scores highest,
 * so the gradients of the worst fakes, which point towards modes D has already pushed them out of,
 * stop dragging G around. The share kept starts at the whole batch and shrinks by `decay` each
 * epoch down to `min` (their recipe: γ = 0.99, ν = 0.5–0.75).
 *
 * Returns the share of each batch's fakes kept at `step` (0-based); 1 = all of them.
 */
export function topKShare(step: number, stepsPerEpoch: number, min: number | null, decay: number): number {
  if (min === null) return 1;
  return Math.max(min, decay ** Math.floor(step / stepsPerEpoch));
}

/** How many of `n` fakes a share keeps: at least one. */
export const topKCount = (share: number, n: number): number => Math.max(1, Math.round(share * n));

/**
 * G's non-saturating loss, mean softplus(−logit), over the k highest logits only: the gradient
 * reaches those k fakes and no other. The selection is made inside a custom gradient because
 * tfjs has no gradient for TopK (nor for comparisons), so it cannot sit on the taped path.
 */
export function topKNonSaturatingLoss(logits: tf.Tensor, k: number): tf.Scalar {
  const n = logits.size;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`top-k: k must be 1 to ${n}, got ${k}`);
  const loss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    // 1 on the k best-scored fakes, 0 elsewhere (ties: the first ones).
    const mask = tf.reshape(tf.sum(tf.oneHot(tf.topk(tf.reshape(x, [n]), k).indices, n), 0), x.shape);
    save([x, mask]);
    return {
      value: tf.div(tf.sum(tf.mul(mask, tf.softplus(tf.neg(x)))), k) as tf.Scalar,
      // d softplus(−x)/dx = −sigmoid(−x), on the kept fakes only.
      gradFunc: (dy: tf.Scalar, [xs, m]: tf.Tensor[]) =>
        tf.mul(dy, tf.div(tf.mul(m, tf.neg(tf.sigmoid(tf.neg(xs)))), k)),
    };
  });
  return loss(logits) as tf.Scalar;
}
