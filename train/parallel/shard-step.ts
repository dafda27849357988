import * as tf from '@tensorflow/tfjs-core';
import { type BatchArrays, disposeBatch, toBatch } from '../batches.ts';
import type { GanTrainer } from '../gan.ts';

/**
 * What one replica computes on its share of a batch, as flat float32 arrays that cross threads
 * cheaply: both nets' gradients (G's variables then D's, in model order), the moving statistics
 * (BatchNorm means/variances) after this shard's forward pass, and [dLoss, gLoss, dReal, dFake].
 */
export interface ShardResult {
  grads: Float32Array;
  moving: Float32Array;
  stats: Float32Array;
}

const movingVars = (gan: GanTrainer) =>
  [...gan.generator.nonTrainableWeights, ...gan.discriminator.nonTrainableWeights].map(
    (w) => w.read() as tf.Variable,
  );

function flatten(tensors: tf.Tensor[]): Float32Array {
  const out = new Float32Array(tensors.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t.dataSync(), at);
    at += t.size;
  }
  return out;
}

/** Splits `flat` into tensors shaped like `like` (same order); the caller disposes them. */
function unflatten(flat: Float32Array, like: tf.Tensor[]): tf.Tensor[] {
  let at = 0;
  const out = like.map((t) => {
    const part = tf.tensor(flat.subarray(at, at + t.size), t.shape, 'float32');
    at += t.size;
    return part;
  });
  if (at !== flat.length) throw new Error(`expected ${at} values, got ${flat.length}`);
  return out;
}

/** `topK`: the share of this shard's fakes G learns from (top-k is per shard, see GanTrainer.gradients). */
export function shardGradients(gan: GanTrainer, shard: BatchArrays, topK = 1): ShardResult {
  const batch = toBatch(shard);
  try {
    const { g, d, stats } = gan.gradients(batch, topK);
    const ordered = [...gan.gVars.map((v) => g[v.name]), ...gan.dVars.map((v) => d[v.name])];
    const result = { grads: flatten(ordered), moving: flatten(movingVars(gan)), stats: flatten([stats]) };
    tf.dispose([...Object.values(g), ...Object.values(d), stats]);
    return result;
  } finally {
    disposeBatch(batch);
  }
}

/**
 * Every replica applies the same averaged gradients and moving statistics at the same learning-rate
 * scale (annealing), so all stay identical.
 */
export function applyAveraged(
  gan: GanTrainer,
  grads: Float32Array,
  moving: Float32Array,
  lrScale: number,
): void {
  gan.setLrScale(lrScale);
  const vars = [...gan.gVars, ...gan.dVars];
  const tensors = unflatten(grads, vars);
  const byName = (list: tf.Variable[], offset: number) =>
    Object.fromEntries(list.map((v, i) => [v.name, tensors[offset + i]]));
  gan.applyGradients(byName(gan.gVars, 0), byName(gan.dVars, gan.gVars.length));
  tf.dispose(tensors);
  const mv = movingVars(gan);
  const values = unflatten(moving, mv);
  mv.forEach((v, i) => {
    v.assign(values[i]);
  });
  tf.dispose(values);
}

/** Element-wise mean of equally long arrays, summed in a fixed order (deterministic). */
export function average(parts: Float32Array[]): Float32Array {
  const n = parts.length;
  const out = new Float32Array(parts[0].length);
  for (let i = 0; i < out.length; i++) {
    let sum = parts[0][i];
    for (let p = 1; p < n; p++) sum += parts[p][i];
    out[i] = sum / n;
  }
  return out;
}
