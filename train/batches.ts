import * as tf from '@tensorflow/tfjs-core';
import { type MnistSplit, PIXELS } from './data/mnist.ts';
import type { Batch } from './gan.ts';
import type { Preset } from './models/presets.ts';
import { Rng } from './rng.ts';

/**
 * Training batches: each epoch visits the digits in a fresh permutation that depends only on
 * (seed, epoch), so a resumed run sees exactly the batches it would have seen. Noise and the classes
 * asked of the generator come from the run's RNG (checkpointed with the run).
 */
export class Batches {
  readonly count: number;
  readonly stepsPerEpoch: number;
  private permEpoch = -1;
  private perm: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly data: MnistSplit,
    private readonly preset: Preset,
    private readonly batchSize: number,
    private readonly seed: number,
    limit: number | null = null,
  ) {
    this.count = Math.min(limit ?? data.count, data.count);
    this.stepsPerEpoch = Math.floor(this.count / batchSize);
  }

  /** Indices into the data of the real digits of step `step` (0-based). */
  indices(step: number): Uint32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (epoch !== this.permEpoch) {
      this.perm = new Rng(`${this.seed}/epoch/${epoch}`).permutation(this.count);
      this.permEpoch = epoch;
    }
    const start = (step % this.stepsPerEpoch) * this.batchSize;
    return this.perm.subarray(start, start + this.batchSize);
  }

  batch(step: number, rng: Rng): Batch {
    const n = this.batchSize;
    const real = new Float32Array(n * PIXELS);
    const labels = new Float32Array(n);
    this.indices(step).forEach((idx, i) => {
      real.set(this.data.images.subarray(idx * PIXELS, (idx + 1) * PIXELS), i * PIXELS);
      labels[i] = this.data.labels[idx];
    });
    const { latentDim, classes } = this.preset;
    return {
      real: tf.tensor4d(real, [n, 28, 28, 1]),
      realLabels: classes > 0 ? tf.tensor2d(labels, [n, 1]) : null,
      noise: tf.tensor2d(rng.normals(n * latentDim), [n, latentDim]),
      fakeLabels:
        classes > 0
          ? tf.tensor2d(
              Array.from({ length: n }, () => rng.int(classes)),
              [n, 1],
            )
          : null,
    };
  }
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.real, b.realLabels, b.noise, b.fakeLabels].filter((t) => t !== null));
}
