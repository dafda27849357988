// tfjs's WebGPU backend in Node (Dawn; SwiftShader here, see tests/webgpu-env.ts) against tfjs's cpu
// backend: its plumbing (synchronous reads), every kernel a training step calls, and a whole step's
// gradients. In one file: the pipelines SwiftShader compiles for the kernels serve the step too.
//
// Tolerances. GPU float32 math is not the CPU's: sums run in another order (tiles, split-K atomics,
// parallel reductions) and WGSL's exp/log/tanh/pow are not correctly rounded (the spec allows a few
// ulp), so results differ by rounding that grows with a sum's length. Both tolerances are 1e-4 of
// the output's (the gradient's) largest magnitude, as for the wasm kernels: far above float32
// rounding (ulp 6e-8; the measured worst cases are printed) and far below a wrong kernel's O(1)
// error (1.4 for tfjs's split-K matmul with a transposed B). Integers and booleans must be equal.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PresetName } from '../../contract/index.ts';
import { classify, loadShippedClassifier } from '../../model/classifier/classify.ts';
import { generateDigits } from '../../model/evaluate/evaluate.ts';
import { precisionRecall } from '../../model/evaluate/precision-recall.ts';
import { type BackendInfo, registerCpuFixes, selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import { GeneratorEma } from '../../train/ema.ts';
import { createGan, type GanRecipe } from '../../train/gan.ts';
import {
  originalWebGpuKernel,
  REPLACED_WEBGPU_KERNELS,
  webgpuTrainingKernelsActive,
} from '../../train/kernels/webgpu-training.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { vulkanForTests } from '../webgpu-env.ts';
import {
  type Arr,
  type KernelCall,
  recordKernels,
  relativeError,
  replay,
  SUMMING,
} from './webgpu-kernel-replay.ts';

const TOL = 1e-4;
const skip = vulkanForTests();
const mnist = loadMnist('test');
const log: string[] = [];
let info: BackendInfo;

/** Runs `f` with tfjs's own webgpu kernels where the project replaced them. */
function withStockKernels<T>(f: () => T): T {
  const ours = REPLACED_WEBGPU_KERNELS.map((name) => tf.getKernel(name, 'webgpu')!);
  const swap = (configs: tf.KernelConfig[]) => {
    for (const c of configs) {
      tf.unregisterKernel(c.kernelName, 'webgpu');
      tf.registerKernel(c);
    }
  };
  swap(REPLACED_WEBGPU_KERNELS.map((name) => originalWebGpuKernel(name)!));
  try {
    return f();
  } finally {
    swap(ours);
  }
}

async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend('cpu');
  await registerCpuFixes();
  try {
    return f();
  } finally {
    await tf.setBackend('webgpu');
  }
}

const seeded = (shape: number[], seed: number): Arr => {
  const r = new Rng(seed);
  const values = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => r.uniform() * 2 - 1);
  return { shape, dtype: 'float32', values };
};

/** One training iteration as train/train.ts runs it: the step, G's moving average, the finiteness check. */
function trainingIteration(name: PresetName, recipe: GanRecipe, batchSize: number): () => void {
  const preset = getPreset(name);
  const rng = new Rng(3);
  const gan = createGan(preset, { next: () => rng.seed() }, recipe);
  const ema = new GeneratorEma(preset.generator({ next: () => 0 }), gan.generator);
  const batch = new Batches(mnist, preset, batchSize, 3, null, (recipe.modeSeeking ?? 0) > 0).batch(0, rng);
  return () => {
    gan.step(batch);
    ema.update(1, batchSize);
    gan.weightsFinite();
    disposeBatch(batch);
    gan.dispose();
    ema.dispose();
  };
}

/**
 * What the workflow's evaluation computes on the training backend, on a few digits: G in inference
 * mode, the metric's classifier (features and probabilities), precision and recall's distances and
 * nearest neighbours.
 */
function evaluationPieces(classifier: LayersModel): () => void {
  const preset = getPreset('fast-cond');
  const generator = preset.generator({ next: () => 7 });
  return () => {
    const fake = generateDigits(generator, preset, 20, 1);
    const real = mnist.images.subarray(0, 30 * PIXELS);
    const a = classify(classifier, fake.images);
    const b = classify(classifier, real);
    precisionRecall(b.features, a.features, a.dim);
    generator.dispose();
  };
}

interface Grads {
  names: string[];
  values: Float32Array[];
}

/** D's loss w.r.t. D and G's loss w.r.t. G on one batch of real digits, on the current backend. */
function stepGradients(name: PresetName): Grads {
  const preset = getPreset(name);
  const rng = new Rng(11);
  const gan = createGan(preset, { next: () => rng.seed() }, { lr: 1e-3, beta1: 0.9 });
  const batch = new Batches(mnist, preset, 3, 11).batch(0, rng);
  const fake = gan.generate(batch);
  const d = tf.variableGrads(() => gan.discriminatorLoss(batch, fake).loss, gan.dVars);
  const g = tf.variableGrads(() => gan.generatorLoss(batch).loss, gan.gVars);
  const out = {
    // Layer names carry a per-process counter: compare by kind and position.
    names: [...gan.dVars, ...gan.gVars].map(
      (v, i) => `${i < gan.dVars.length ? 'D' : 'G'} ${v.name.replace(/_?\d+/g, '')}`,
    ),
    values: [
      ...gan.dVars.map((v) => d.grads[v.name].dataSync<'float32'>().slice()),
      ...gan.gVars.map((v) => g.grads[v.name].dataSync<'float32'>().slice()),
    ],
  };
  tf.dispose([fake, d.value, g.value, ...Object.values(d.grads), ...Object.values(g.grads)]);
  disposeBatch(batch);
  gan.dispose();
  return out;
}

describe.skipIf(skip !== null)('WebGPU in Node vs cpu', () => {
  beforeAll(async () => {
    info = await selectBackend('webgpu', false, (l) => log.push(l));
    console.log(`WebGPU tests on: ${info.device}`);
  });

  it('starts on the adapter it names, and reads synchronously (float, int, bool; an async read in flight)', async () => {
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(log).toContain(`backend: WebGPU adapter: ${info.device}`);
    expect(info.device).toMatch(/^WebGPU \(Dawn\): .+; (fallback \(software\)|hardware) adapter$/);
    expect(info.gpu).toBe(info.device.endsWith('hardware adapter'));
    const x = tf.tensor1d([1.5, -2, 3]);
    const doubled = tf.mul(x, 2);
    const asInt = tf.cast(doubled, 'int32');
    const positive = tf.greater(x, 0);
    // An asynchronous read still waits for Dawn while the synchronous ones run.
    const later = tf.add(x, 1).data();
    expect(Array.from(doubled.dataSync())).toEqual([3, -4, 6]);
    expect(asInt.dataSync()).toEqual(Int32Array.from([3, -4, 6]));
    expect(Array.from(positive.dataSync())).toEqual([1, 0, 1]);
    expect(Array.from(await later)).toEqual([2.5, -1, 4]);
    tf.dispose([x, doubled, asInt, positive]);
  });

  it("tfjs's split-K matmul with a transposed B is wrong; the project's BatchMatMul is right", async () => {
    expect(webgpuTrainingKernelsActive()).toBe(true);
    // [m, k]·[n, k]ᵀ with a long inner dimension and a small output: the split-K program's case.
    const calls: KernelCall[] = (
      [
        [3, 3136, 80, false], // fast-cond: the gradient flowing into G's first Dense layer's input
        [64, 2048, 128, false],
        [16, 3136, 80, true],
      ] as const
    ).map(([m, k, n, transposeA], i) => ({
      kernel: 'BatchMatMul',
      inputs: { a: seeded(transposeA ? [k, m] : [m, k], i), b: seeded([n, k], 10 + i) },
      attrs: { transposeA, transposeB: true },
      outputs: [],
    }));
    const cpu = await onCpu(() => calls.map((c) => replay(c)[0]));
    const stock = withStockKernels(() => calls.map((c) => replay(c)[0]));
    const ours = calls.map((c) => replay(c)[0]);
    for (let i = 0; i < calls.length; i++) {
      expect(relativeError(stock[i], cpu[i])).toBeGreaterThan(0.1);
      expect(relativeError(ours[i], cpu[i])).toBeLessThan(TOL);
    }
  });

  it('every kernel a training iteration (fast-cond with R1 and mode seeking on, fast) and the evaluation call matches cpu', async () => {
    // tutorial is left out: one step of it takes ~20 s on the stock cpu backend here, and its kernels
    // are these ones on larger shapes (its Conv2DTranspose forward is Conv2DBackpropInput, whose
    // stride-2 case the fast discriminators' input gradients call).
    const calls = new Map<string, KernelCall>();
    const runs: [PresetName, GanRecipe][] = [
      ['fast-cond', { lr: 2e-4, beta1: 0.5, lrD: 8e-4, r1Gamma: 1, modeSeeking: 0.5 }],
      ['fast', { lr: 2e-4, beta1: 0.5 }],
    ];
    for (const [name, recipe] of runs) {
      const t0 = performance.now();
      await onCpu(() => recordKernels(trainingIteration(name, recipe, 4), calls));
      console.log(`${name}: recorded on cpu in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const classifier = await loadShippedClassifier();
    await onCpu(() => recordKernels(evaluationPieces(classifier), calls));
    classifier.dispose();
    const recorded = [...calls.values()];
    const t1 = performance.now();
    const kernels = new Set(recorded.map((c) => c.kernel));
    // The training step's own kernels, among the ~40 it calls.
    for (const k of [
      'Conv2DBackpropFilter',
      'Conv2DBackpropInput',
      'FusedBatchNorm',
      'UnsortedSegmentSum',
      'MaxPool',
      'TopK',
    ])
      expect(kernels).toContain(k);
    const worst = new Map<string, number>();
    const failures: string[] = [];
    for (const call of recorded) {
      const got = replay(call);
      const terms = SUMMING.has(call.kernel) ? Object.values(call.inputs)[0] : undefined;
      const errs = call.outputs.map((ref, i) => relativeError(got[i], ref, terms));
      const e = Math.max(...errs);
      worst.set(call.kernel, Math.max(worst.get(call.kernel) ?? 0, e));
      if (!(e <= TOL))
        failures.push(
          `${call.kernel} ${JSON.stringify(Object.values(call.inputs).map((a) => a.shape))} ${JSON.stringify(call.attrs)}: ${e}`,
        );
    }
    console.log(`replayed on WebGPU in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const table = [...worst].sort((a, b) => b[1] - a[1]);
    console.log(
      `${recorded.length} distinct calls of ${kernels.size} kernels; worst relative error per kernel:\n` +
        table.map(([k, e]) => `  ${k} ${e.toExponential(1)}`).join('\n'),
    );
    expect(failures).toEqual([]);
  });

  // fast-cond, the preset the workflow trains by default; the others' kernels are replayed above.
  it.each(['fast-cond'] as const)('a whole step’s gradients match cpu: %s', async (name) => {
    const cpu = await onCpu(() => stepGradients(name));
    const gpu = stepGradients(name);
    expect(gpu.names).toEqual(cpu.names);
    const errors = gpu.values.map((v, i) =>
      relativeError(
        { shape: [v.length], dtype: 'float32', values: v },
        {
          shape: [v.length],
          dtype: 'float32',
          values: cpu.values[i],
        },
      ),
    );
    // Every gradient is non-trivial on cpu, and WebGPU matches it.
    for (const v of cpu.values) expect(v.some((x) => x !== 0)).toBe(true);
    console.log(
      `${name}: worst gradient error ${Math.max(...errors).toExponential(2)} over ${errors.length} tensors`,
    );
    expect(Math.max(...errors)).toBeLessThan(TOL);
  });
});
