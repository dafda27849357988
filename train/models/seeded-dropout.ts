import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

/**
 * Dropout whose mask comes from the run's RNG. tfjs's own Dropout either draws from Math.random
 * (runs not reproducible) or, given a seed, reuses one mask on every call. Only the discriminator
 * uses it, and the discriminator is never exported, so a custom layer is fine here.
 */
export class SeededDropout extends layers.Layer {
  static readonly className = 'SeededDropout';

  constructor(
    private readonly rate: number,
    private readonly nextSeed: () => number,
    name?: string,
  ) {
    super({ name });
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs.training) return x;
    return tf.dropout(x, this.rate, undefined, this.nextSeed());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
