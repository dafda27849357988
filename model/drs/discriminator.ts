// The run's discriminator, as it stood at the run's last checkpoint, and its logits on digits.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { type TrainConfig, trainConfigSchema } from '../../train/config.ts';
import { PIXELS } from '../../train/data/mnist.ts';
import { getPreset, type Preset } from '../../train/models/presets.ts';
import { quantize } from '../export/quantize.ts';

/** D from a run folder (or its checkpoint/), with the run's preset and config. */
export function loadDiscriminator(dir: string): {
  discriminator: LayersModel;
  preset: Preset;
  config: TrainConfig;
} {
  const ckpt =
    readCheckpoint(dir) ?? (existsSync(join(dir, 'state.json')) ? readCheckpoint(join(dir, '..')) : null);
  if (!ckpt)
    throw new Error(
      `${dir}: no checkpoint (rejection sampling needs a run folder's D: an export holds none; --fit-d fits one to its G)`,
    );
  const config = trainConfigSchema.safeParse(ckpt.state.config);
  if (!config.success) throw new Error(`${ckpt.dir}: the checkpoint's run config is invalid`);
  const preset = getPreset(config.data.preset);
  let i = 0;
  const discriminator = preset.discriminator({ next: () => i++ }, config.data.dWidth);
  const stored = ckpt.tensors.discriminator;
  const shapes = (xs: { shape: readonly (number | null)[] }[]) => xs.map((t) => t.shape.join('x')).join();
  if (shapes(stored) !== shapes(discriminator.weights)) {
    discriminator.dispose();
    throw new Error(
      `${ckpt.dir}: the checkpoint does not hold a ${preset.name} discriminator of width ${config.data.dWidth}`,
    );
  }
  const values = stored.map(({ values, shape }) => tf.tensor(values, shape, 'float32'));
  discriminator.setWeights(values);
  tf.dispose(values);
  return { discriminator, preset, config: config.data };
}

/** Sets every weight to what its uint8 encoding (model/export/quantize.ts) decodes to: D as a page would hold it. */
export function roundWeightsToUint8(m: LayersModel): void {
  for (const w of m.weights) {
    const { bytes, spec } = quantize(w.read().dataSync<'float32'>(), 'uint8');
    const decoded = Float32Array.from(bytes, (q) => q * spec!.scale! + spec!.min!);
    tf.tidy(() => (w.read() as tf.Variable).assign(tf.tensor(decoded, w.read().shape)));
  }
}

/**
 * D's logits (inference mode) on n digits, `batch` at a time. Its minibatch-stddev feature looks
 * at the whole batch, so a digit is scored among digits of its own kind (real among real, fake
 * among fakes), as D saw them in training; the last partial batch is scored as it is.
 */
export function logits(
  discriminator: LayersModel,
  images: Float32Array,
  labels: Int32Array | null,
  batch: number,
): Float32Array {
  const n = images.length / PIXELS;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(i * PIXELS, (i + m) * PIXELS), [m, 28, 28, 1]);
      const inputs = labels ? [x, tf.tensor2d(Array.from(labels.subarray(i, i + m)), [m, 1])] : x;
      out.set((discriminator.predict(inputs) as tf.Tensor).dataSync(), i);
    });
  }
  return out;
}
