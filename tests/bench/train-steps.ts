// Child process of train.bench.ts: times GAN training steps of one preset on one backend and prints
// one JSON line. A separate process per measurement keeps backends and kernel registrations apart.
import * as tf from '@tensorflow/tfjs-core';
import { type BackendChoice, selectBackend } from '../../train/backend.ts';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import { GanTrainer } from '../../train/gan.ts';
import { getPreset, type PresetName } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

const [presetName, backendName, warmupArg, stepsArg, batchArg] = process.argv.slice(2);
const warmup = Number(warmupArg);
const steps = Number(stepsArg);
const batchSize = Number(batchArg);

const info = await selectBackend(backendName as BackendChoice, false, () => {});
const preset = getPreset(presetName as PresetName);
const rng = new Rng(1);
const seeds = { next: () => rng.seed() };
const g = preset.generator(seeds);
const d = preset.discriminator(seeds);
const trainer = new GanTrainer(g, d, tf.train.adam(2e-4, 0.5), tf.train.adam(2e-4, 0.5), preset.classes);
const mnist = loadMnist('train');

const batch = () => {
  const real = new Float32Array(batchSize * PIXELS);
  const labels = new Float32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const k = rng.int(mnist.count);
    real.set(mnist.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = mnist.labels[k];
  }
  const cond = preset.classes > 0;
  return {
    real: tf.tensor4d(real, [batchSize, 28, 28, 1]),
    realLabels: cond ? tf.tensor2d(labels, [batchSize, 1]) : null,
    noise: tf.tensor2d(rng.normals(batchSize * preset.latentDim), [batchSize, preset.latentDim]),
    fakeLabels: cond
      ? tf.tensor2d(
          labels.map(() => rng.int(10)),
          [batchSize, 1],
        )
      : null,
  };
};
const run = () => {
  const b = batch();
  trainer.step(b);
  tf.dispose([b.real, b.realLabels, b.noise, b.fakeLabels].filter((t) => t !== null));
};
for (let i = 0; i < warmup; i++) run();
const t0 = performance.now();
for (let i = 0; i < steps; i++) run();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ preset: presetName, backend: info.name, device: info.device, steps, seconds }));
