// Child process of train.bench.ts: times GAN training steps of one preset on one backend and prints
// one JSON line. A separate process per measurement keeps backends and kernel registrations apart.
import * as tf from '@tensorflow/tfjs-core';
import { Argument } from 'commander';
import { PRESET_NAMES } from '../../contract/index.ts';
import { command, integer, parseOrExit } from '../../lib/command.ts';
import { BACKENDS, type BackendChoice, selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { createGan } from '../../train/gan.ts';
import { getPreset, type PresetName } from '../../train/models/presets.ts';
import { Replicas } from '../../train/parallel/replicas.ts';
import { Rng } from '../../train/rng.ts';

const program = command('tests/bench/train-steps.ts', 'Time GAN training steps; prints one JSON line.')
  .addArgument(new Argument('<preset>').choices(PRESET_NAMES))
  .addArgument(new Argument('<backend>').choices(BACKENDS))
  .argument('<warmup>', 'untimed steps first', integer('warmup'))
  .argument('<steps>', 'timed steps', integer('steps', 1))
  .argument('<batch>', 'digits per step', integer('batch', 1))
  .argument('[threads]', 'data-parallel threads', integer('threads', 1), 1);
parseOrExit(program);
const [presetName, backendName, warmup, steps, batchSize, threads] = program.processedArgs as [
  PresetName,
  BackendChoice,
  number,
  number,
  number,
  number,
];

// The cpu column is tfjs's stock cpu backend, as shipped (our cpu fix touches only correctness).
async function useBackend(): Promise<{ name: string; device: string }> {
  if (backendName !== 'cpu') return selectBackend(backendName, false, () => {});
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  return { name: 'cpu', device: 'stock tfjs cpu backend' };
}
const info = await useBackend();
const preset = getPreset(presetName);
const rng = new Rng(1);
const gan = createGan(preset, { next: () => rng.seed() }, { lr: 2e-4, beta1: 0.5 });
const batches = new Batches(loadMnist('train'), preset, batchSize, 1);
const replicas =
  threads > 1
    ? await Replicas.start(gan, threads, {
        preset: preset.name,
        // Replicas are wasm/cpu only; webgpu runs one batch per step (train/train.ts does the same).
        backend: info.name as 'wasm' | 'cpu',
        recipe: { lr: 2e-4, beta1: 0.5 },
      })
    : null;
let step = 0;
const run = async () => {
  if (replicas) {
    await replicas.step(batches.arrays(step++, rng), rng);
    return;
  }
  const b = batches.batch(step++, rng);
  gan.step(b);
  disposeBatch(b);
};
for (let i = 0; i < warmup; i++) await run();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await run();
const seconds = (performance.now() - t0) / 1000;
await replicas?.close();
console.log(
  JSON.stringify({ preset: presetName, backend: info.name, device: info.device, threads, steps, seconds }),
);
