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
    /** Rows (2k, 2k+1) get the same class asked of G (mode seeking compares such pairs). */
    private readonly pairedClasses = false,
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

  /** The step's batch as plain arrays (what data-parallel training splits between threads). */
  arrays(step: number, rng: Rng): BatchArrays {
    const n = this.batchSize;
    const real = new Float32Array(n * PIXELS);
    const labels = new Float32Array(n);
    this.indices(step).forEach((idx, i) => {
      real.set(this.data.images.subarray(idx * PIXELS, (idx + 1) * PIXELS), i * PIXELS);
      labels[i] = this.data.labels[idx];
    });
    const { latentDim, classes } = this.preset;
    return {
      size: n,
      real,
      realLabels: classes > 0 ? labels : null,
      noise: rng.normals(n * latentDim),
      fakeLabels: classes > 0 ? this.fakeClasses(n, rng) : null,
    };
  }

  private fakeClasses(n: number, rng: Rng): Float32Array {
    const c = new Float32Array(n);
    for (let i = 0; i < n; i++)
      c[i] = this.pairedClasses && i % 2 === 1 ? c[i - 1] : rng.int(this.preset.classes);
    return c;
  }

  batch(step: number, rng: Rng): Batch {
    return toBatch(this.arrays(step, rng));
  }
}

/** A batch before it becomes tensors: `size` digits, row-major. */
export interface BatchArrays {
  size: number;
  real: Float32Array;
  realLabels: Float32Array | null;
  noise: Float32Array;
  fakeLabels: Float32Array | null;
}

export function toBatch(a: BatchArrays): Batch {
  const n = a.size;
  return {
    real: tf.tensor4d(a.real, [n, 28, 28, 1]),
    realLabels: a.realLabels ? tf.tensor2d(a.realLabels, [n, 1]) : null,
    noise: tf.tensor2d(a.noise, [n, a.noise.length / n]),
    fakeLabels: a.fakeLabels ? tf.tensor2d(a.fakeLabels, [n, 1]) : null,
  };
}

/** Part `i` of `parts` equal, consecutive parts of a batch (copies, so they can be transferred). */
export function shardOf(a: BatchArrays, i: number, parts: number): BatchArrays {
  const n = a.size / parts;
  const rows = (x: Float32Array) => x.slice(i * (x.length / parts), (i + 1) * (x.length / parts));
  return {
    size: n,
    real: rows(a.real),
    realLabels: a.realLabels && rows(a.realLabels),
    noise: rows(a.noise),
    fakeLabels: a.fakeLabels && rows(a.fakeLabels),
  };
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.real, b.realLabels, b.noise, b.fakeLabels].filter((t) => t !== null));
}
