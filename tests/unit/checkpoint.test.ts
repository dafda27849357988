// Checkpoints on disk: every state a kill can leave behind, and every corruption, handled.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../../train/checkpoint.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { createGan, type GanTrainer } from '../../train/gan.ts';
import { getPreset, type PresetName } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';

const root = mkdtempSync(join(tmpdir(), 'ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const mnist = loadMnist('test');
const meta = {
  config: { preset: 'fast' },
  rng: new Rng(1).state(),
  backend: 'wasm',
  device: 'test',
  seconds: 1,
};

function trainedGan(name: PresetName = 'fast', steps = 2): GanTrainer {
  const preset = getPreset(name);
  const rng = new Rng(3);
  const gan = createGan(preset, { next: () => rng.seed() }, { lr: 1e-3, beta1: 0.5 });
  const batches = new Batches(mnist, preset, 4, 3);
  for (let i = 0; i < steps; i++) {
    const b = batches.batch(i, rng);
    gan.step(b);
    disposeBatch(b);
  }
  return gan;
}
const values = (list: tf.Tensor[]) => list.map((t) => Array.from(t.dataSync()));
const freshDir = (name: string) => {
  const d = join(root, name);
  mkdirSync(d);
  return d;
};

let gan: GanTrainer;
let saved: string;
beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  gan = trainedGan();
  saved = freshDir('saved');
  await saveCheckpoint(saved, gan, { step: 2, ...meta });
});

describe('checkpoint round trip', () => {
  it('restores both networks, both optimizers and Adam’s exact β powers', async () => {
    const ckpt = readCheckpoint(saved)!;
    expect(ckpt.state.step).toBe(2);
    const other = trainedGan('fast', 0);
    await restoreCheckpoint(ckpt, other);
    expect(values(other.generator.getWeights())).toEqual(values(gan.generator.getWeights()));
    expect(values(other.discriminator.getWeights())).toEqual(values(gan.discriminator.getWeights()));
    for (const [a, b] of [
      [other.gOptimizer, gan.gOptimizer],
      [other.dOptimizer, gan.dOptimizer],
    ] as const) {
      const [wa, wb] = [await a.getWeights(), await b.getWeights()];
      expect(values(wa.map((w) => w.tensor))).toEqual(values(wb.map((w) => w.tensor)));
      const powers = (o: tf.Optimizer) =>
        ['accBeta1', 'accBeta2'].map((k) => (o as unknown as Record<string, tf.Variable>)[k].dataSync()[0]);
      expect(powers(a)).toEqual(powers(b));
    }
    other.dispose();
  });

  it('does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    await saveCheckpoint(freshDir('leak'), gan, { step: 2, ...meta });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to restore into another preset, naming the tensor', async () => {
    const other = trainedGan('fast-cond', 0);
    await expect(restoreCheckpoint(readCheckpoint(saved)!, other)).rejects.toThrow(/generator (has|tensor)/);
    other.dispose();
  });
});

describe('what a kill can leave behind', () => {
  it('nothing yet: no checkpoint', () => {
    expect(readCheckpoint(freshDir('empty'))).toBeNull();
  });

  it('killed between the two renames of a save: the previous checkpoint is used, then cleaned up', async () => {
    const d = freshDir('between');
    cpSync(join(saved, 'checkpoint'), join(d, 'checkpoint.old'), { recursive: true });
    const ckpt = readCheckpoint(d)!;
    expect(ckpt.dir).toBe(join(d, 'checkpoint.old'));
    expect(ckpt.state.step).toBe(2);
    await saveCheckpoint(d, gan, { step: 3, ...meta });
    expect(readCheckpoint(d)!.state.step).toBe(3);
    expect(existsSync(join(d, 'checkpoint.old'))).toBe(false);
  });

  it('killed while writing the temporary folder: it is ignored, then removed by the next save', async () => {
    const d = freshDir('tmp');
    cpSync(join(saved, 'checkpoint'), join(d, 'checkpoint'), { recursive: true });
    mkdirSync(join(d, '.checkpoint-tmp-99999'));
    writeFileSync(join(d, '.checkpoint-tmp-99999', 'weights.bin'), 'half');
    expect(readCheckpoint(d)!.state.step).toBe(2);
    await saveCheckpoint(d, gan, { step: 4, ...meta });
    expect(existsSync(join(d, '.checkpoint-tmp-99999'))).toBe(false);
    expect(readCheckpoint(d)!.state.step).toBe(4);
  });
});

describe('corruption is reported, never loaded', () => {
  const corrupt = (name: string, fn: (dir: string) => void) => {
    const d = freshDir(name);
    cpSync(join(saved, 'checkpoint'), join(d, 'checkpoint'), { recursive: true });
    fn(join(d, 'checkpoint'));
    return d;
  };
  it('truncated weights', () => {
    const d = corrupt('trunc', (c) => {
      const w = readFileSync(join(c, 'weights.bin'));
      writeFileSync(join(c, 'weights.bin'), w.subarray(0, w.length - 8));
    });
    expect(() => readCheckpoint(d)).toThrow(/weights.bin is \d+ bytes, expected \d+/);
  });
  it('a flipped byte', () => {
    const d = corrupt('flip', (c) => {
      const w = readFileSync(join(c, 'weights.bin'));
      w[100] ^= 0xff;
      writeFileSync(join(c, 'weights.bin'), w);
    });
    expect(() => readCheckpoint(d)).toThrow('weights.bin does not match its sha256');
  });
  it('missing weights', () => {
    const d = corrupt('missing', (c) => renameSync(join(c, 'weights.bin'), join(c, 'other.bin')));
    expect(() => readCheckpoint(d)).toThrow('weights.bin is missing');
  });
  it('invalid state.json', () => {
    const d = corrupt('state', (c) => writeFileSync(join(c, 'state.json'), '{"format": 2}'));
    expect(() => readCheckpoint(d)).toThrow('state.json is invalid');
    const e = corrupt('state2', (c) => writeFileSync(join(c, 'state.json'), '{"format": '));
    expect(() => readCheckpoint(e)).toThrow('state.json unreadable');
  });
});
