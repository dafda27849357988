import * as tf from '@tensorflow/tfjs-core';

/**
 * R1 regularisation (Mescheder et al. 2018, "Which training methods for GANs do actually
 * converge?"): D pays γ/2 · E‖∇ₓ D(x)‖² on real digits, which keeps it from growing steep around
 * the data and pulling ahead of G. D's loss then holds a gradient, so D's update differentiates
 * through a backward pass (a second-order gradient).
 *
 * With the minibatch-stddev feature one digit's logit depends a little on the others; like
 * StyleGAN2 we take the gradient of the summed logits, which includes that coupling.
 */
export function r1Penalty(
  judge: (images: tf.Tensor4D) => tf.Tensor,
  real: tf.Tensor4D,
  gamma: number,
): tf.Scalar {
  registerSecondOrderGradients();
  const gradX = tf.grad((x: tf.Tensor) => tf.sum(judge(x as tf.Tensor4D)))(real);
  return tf.mul(gamma / 2, tf.mean(tf.sum(tf.square(gradX), [1, 2, 3]))) as tf.Scalar;
}

let registered = false;
/**
 * tfjs-core has no gradient for comparison kernels: a first-order backward pass never needs one,
 * but LeakyReLU's gradient is built with `greater(x, 0)`, so differentiating that gradient does.
 * A comparison is piecewise constant: its gradient is zero wherever it exists.
 */
function registerSecondOrderGradients(): void {
  if (registered) return;
  registered = true;
  if (tf.getGradient(tf.Greater) != null) return;
  tf.registerGradient({
    kernelName: tf.Greater,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, [a, b]) => ({ a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) }),
  });
}
