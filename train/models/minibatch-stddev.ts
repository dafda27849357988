import * as tf from '@tensorflow/tfjs-core';
import { layers, type Shape } from '@tensorflow/tfjs-layers';

/**
 * Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs"): appends one
 * feature, the mean over features of the per-feature standard deviation across the batch. A
 * generator that ignores its noise makes batches with low spread, which D can then see. Only the
 * discriminator uses it (never exported), so a custom layer is fine. Broadcasting, not Tile.
 */
export class MinibatchStdDev extends layers.Layer {
  static readonly className = 'MinibatchStdDev';

  override computeOutputShape(shape: Shape | Shape[]): Shape {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
    return [s[0], (s[1] as number) + 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const centered = tf.sub(x, tf.mean(x, 0, true));
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), 0), 1e-8));
      const spread = tf.add(tf.zeros([x.shape[0], 1]), tf.mean(std));
      return tf.concat([x, spread], 1);
    });
  }
}
