// The shipped MNIST classifier (the feature space of every quality metric) on the real test digits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/hash.ts';
import {
  accuracy,
  classify,
  loadShippedClassifier,
  SHIPPED_CLASSIFIER,
} from '../../model/classifier/classify.ts';
import { selectBackend } from '../../train/backend.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { usageTests } from './cli-usage.ts';

const record = JSON.parse(readFileSync(join(SHIPPED_CLASSIFIER, 'record.json'), 'utf8')) as {
  testAccuracy: number;
  command: string;
  weightsSha256: string;
};

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});

describe('shipped classifier', () => {
  it('is the one its record describes', () => {
    const sha = sha256(readFileSync(join(SHIPPED_CLASSIFIER, 'weights.bin')));
    expect(sha).toBe(record.weightsSha256);
    expect(record.command).toMatch(/^npm run train:classifier/);
  });

  it('reaches ≥ 99.0 % on the 10,000 MNIST test digits, as recorded', async () => {
    const test = loadMnist('test');
    const model = await loadShippedClassifier();
    const { probs, features, dim } = classify(model, test.images);
    const acc = accuracy(probs, test);
    expect(acc).toBeGreaterThanOrEqual(0.99);
    expect(acc).toBeCloseTo(record.testAccuracy, 4);
    // The feature vector is the 128-wide penultimate layer, and it is informative (not all zeros).
    expect(dim).toBe(128);
    expect(features.some((v) => v > 0)).toBe(true);
  });
});

usageTests('bin/train-classifier.ts', {
  usage: 'npm run train:classifier --',
  help: ['--epochs <n>', '(default: 4)', '--batch-size <n>', '--lr <x>', '--seed <n>', '--out <dir>'],
  errors: [
    [['--epochs', '2.5'], "--epochs must be a positive integer, got '2.5'"],
    [['--lr', '0'], "--lr must be a positive number, got '0'"],
    [['--seed', 'one'], "--seed must be a non-negative integer, got 'one'"],
  ],
});
