// The shipped MNIST classifiers (the feature spaces of the quality metrics) on the real test digits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/hash.ts';
import {
  accuracy,
  classify,
  loadShippedClassifier,
  SHIPPED_CLASSIFIERS,
  shippedClassifierName,
} from '../../model/classifier/classify.ts';
import { type Arch, buildClassifier, seedDropout } from '../../model/classifier/model.ts';
import { selectBackend } from '../../train/backend.ts';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import { Rng } from '../../train/rng.ts';
import { usageTests } from './cli-usage.ts';

const record = (arch: Arch) =>
  JSON.parse(readFileSync(join(SHIPPED_CLASSIFIERS[arch], 'record.json'), 'utf8')) as {
    arch?: Arch;
    testAccuracy: number;
    command: string;
    weightsSha256: string;
  };

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});

// Each: the accuracy it must reach, its feature vector's width, and the layer kinds it is made of.
describe.each([
  { arch: 'cnn' as const, min: 0.99, dim: 128, layers: ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense'] },
  { arch: 'mlp' as const, min: 0.98, dim: 256, layers: ['Flatten', 'Rescaling', 'Dense', 'Dropout'] },
  // The page's style-row filter: only layers the page's graph compiles (and no pooling).
  { arch: 'filter' as const, min: 0.98, dim: 256, layers: ['InputLayer', 'Conv2D', 'Flatten', 'Dense'] },
])('shipped $arch classifier', ({ arch, min, dim, layers }) => {
  it('is the one its record describes', () => {
    const r = record(arch);
    const sha = sha256(readFileSync(join(SHIPPED_CLASSIFIERS[arch], 'weights.bin')));
    expect(sha).toBe(r.weightsSha256);
    expect(r.command).toMatch(/^npm run train:classifier/);
    // The cnn's record predates --arch (cnn is the default).
    if (arch !== 'cnn') expect(r.command).toContain(`--arch ${arch}`);
    expect(shippedClassifierName(arch)).toBe(`${arch}@${sha.slice(0, 8)}`);
  });

  it(`reaches ≥ ${min * 100} % on the 10,000 MNIST test digits, as recorded; its features are ${dim} wide`, async () => {
    const test = loadMnist('test');
    const model = await loadShippedClassifier(arch);
    const { probs, features, dim: d } = classify(model, test.images);
    const acc = accuracy(probs, test);
    expect(acc).toBeGreaterThanOrEqual(min);
    expect(acc).toBeCloseTo(record(arch).testAccuracy, 4);
    // The feature vector is the penultimate layer, and it is informative (not all zeros).
    expect(d).toBe(dim);
    expect(features.some((v) => v > 0)).toBe(true);
    // A second space only helps if its architecture differs: the MLP has no convolution at all.
    // The filter is the page's: small, and of layers web/src/engine/graph.ts compiles.
    expect([...new Set(model.layers.map((l) => l.getClassName()))].sort()).toEqual([...layers].sort());
    model.dispose();
  });
});

describe('the two feature spaces', () => {
  it('differ: the digits nearest to a digit in one space are mostly not its nearest in the other', async () => {
    const test = loadMnist('test');
    const n = 500;
    const images = test.images.subarray(0, n * PIXELS);
    const spaces = await Promise.all(
      (['cnn', 'mlp'] as const).map(async (arch) => {
        const model = await loadShippedClassifier(arch);
        const out = classify(model, images);
        model.dispose();
        return out;
      }),
    );
    // The 5 nearest neighbours of each digit (itself excluded) in each space.
    const neighbours = ({ features, dim }: { features: Float32Array; dim: number }) =>
      Array.from({ length: n }, (_, i) => {
        const d = Array.from({ length: n }, (_, j) => {
          let s = 0;
          for (let k = 0; k < dim; k++) s += (features[i * dim + k] - features[j * dim + k]) ** 2;
          return [s, j] as const;
        });
        return new Set(
          d
            .filter(([, j]) => j !== i)
            .sort((a, b) => a[0] - b[0])
            .slice(0, 5)
            .map(([, j]) => j),
        );
      });
    const [a, b] = spaces.map(neighbours);
    let shared = 0;
    for (let i = 0; i < n; i++) for (const j of a[i]) if (b[i].has(j)) shared++;
    // Identical spaces would share all 5 (1.0), unrelated ones about 5/500 (0.01); measured 0.49.
    const overlap = shared / (5 * n);
    expect(overlap).toBeLessThan(0.75);
    expect(overlap).toBeGreaterThan(0.2);
  });
});

describe('dropout during training', () => {
  it('draws a new mask each step, the same masks for the same seed', () => {
    const run = (seed: string) => {
      let i = 0;
      const model = buildClassifier({ next: () => i++ }, 'mlp');
      const rng = new Rng(seed);
      const x = tf.ones([2, 28, 28, 1]);
      const steps = [0, 1].map(() => {
        seedDropout(model, () => rng.seed());
        return Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync());
      });
      tf.dispose(x);
      model.dispose();
      return steps;
    };
    const [first, second] = run('a');
    expect(second).not.toEqual(first);
    expect(run('a')).toEqual([first, second]);
    expect(run('b')[0]).not.toEqual(first);
  });
});

usageTests('bin/train-classifier.ts', {
  usage: 'npm run train:classifier --',
  help: [
    '--arch <name>',
    '(choices: "cnn", "mlp", "filter", default: "cnn")',
    '--epochs <n>',
    '(default: 4 for cnn, 10 for mlp, 8 for filter)',
    '(default: 0.001 for cnn and mlp, 0.003 for filter)',
    '--batch-size <n>',
    '--lr <x>',
    '--seed <n>',
    '--out <dir>',
  ],
  errors: [
    [['--arch', 'vit'], "argument 'vit' is invalid. Allowed choices are cnn, mlp, filter."],
    [['--epochs', '2.5'], "--epochs must be a positive integer, got '2.5'"],
    [['--lr', '0'], "--lr must be a positive number, got '0'"],
    [['--seed', 'one'], "--seed must be a non-negative integer, got 'one'"],
  ],
});
