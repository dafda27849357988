// Export: standard TF.js layers models in three precisions, loaded by stock tf.loadLayersModel over
// loopback HTTP (as a browser would), outputs compared, tampering detected.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { exportGenerator, verifyExport } from '../../train/export/export.ts';
import { createGan, type GanTrainer } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { usageTests } from './cli-usage.ts';

const root = mkdtempSync(join(tmpdir(), 'export-'));
const preset = getPreset('fast-cond');
const metrics = {
  fid: 50,
  fidFloor: 1,
  inceptionScore: 5,
  classAccuracy: 0.5,
  precision: 0.5,
  recall: 0.5,
  classKL: 0.1,
  samples: 1000,
};
const training = {
  steps: 20,
  batchSize: 16,
  seconds: 10,
  backend: 'wasm' as const,
  device: 'test',
  commit: 'test',
  runUrl: '',
};
let gan: GanTrainer;
let server: Server;
let base: string;

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
  const rng = new Rng(2);
  gan = createGan(preset, { next: () => rng.seed() }, { lr: 2e-4, beta1: 0.5 });
  const batches = new Batches(loadMnist('test'), preset, 16, 2);
  for (let s = 0; s < 20; s++) {
    const b = batches.batch(s, rng);
    gan.step(b);
    disposeBatch(b);
  }
  for (const q of ['float32', 'float16', 'uint8'] as const) {
    exportGenerator(gan.generator, preset, join(root, q), { quantization: q, metrics, training });
  }
  // A plain static file server on loopback.
  server = createServer((req, res) => {
    try {
      const body = readFileSync(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.close();
  rmSync(root, { recursive: true, force: true });
});

function outputs(model: { predict: (x: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): Float32Array {
  return tf.tidy(() => {
    const z = tf.tensor2d(new Rng(7).normals(100 * 64), [100, 64]);
    const y = tf.tensor2d(
      Array.from({ length: 100 }, (_, i) => i % 10),
      [100, 1],
    );
    return (model.predict([z, y]) as tf.Tensor).dataSync<'float32'>().slice();
  });
}
const diffs = (a: Float32Array, b: Float32Array) => {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
};

describe('export', () => {
  it('writes model.json, one content-addressed shard and a valid manifest; sizes follow the precision', () => {
    // Each folder is put in place whole (replaceDir): no temporary or set-aside folder stays behind.
    expect(readdirSync(root).sort()).toEqual(['float16', 'float32', 'uint8']);
    const params = gan.generator.countParams();
    for (const [q, perWeight] of [
      ['float32', 4],
      ['float16', 2],
      ['uint8', 1],
    ] as const) {
      const v = verifyExport(join(root, q));
      expect(v.ok).toBe(true);
      if (!v.ok) continue;
      const shard = v.manifest.files.find((f) => f.path.endsWith('.bin'))!;
      expect(shard.path).toBe(`${shard.sha256.slice(0, 16)}.bin`);
      expect(shard.bytes).toBe(params * perWeight);
      expect(v.manifest).toMatchObject({ preset: 'fast-cond', latentDim: 64, classes: 10, quantization: q });
    }
  });

  it('stock tf.loadLayersModel loads every precision over HTTP; outputs stay close to float32', async () => {
    const reference = outputs(gan.generator);
    const f32 = await loadLayersModel(`${base}/float32/model.json`);
    expect(diffs(outputs(f32), reference).max).toBe(0);
    // float16 keeps 11 significant bits per weight (relative error ≤ 2⁻¹¹ ≈ 5e-4); through four
    // layers to a tanh in [-1, 1] that is ~5e-4 at worst per pixel (measured: max 5e-4, mean 8e-5).
    // Bounds leave ~10x headroom for larger weights after longer training.
    const f16 = diffs(outputs(await loadLayersModel(`${base}/float16/model.json`)), reference);
    expect(f16.max).toBeLessThan(5e-3);
    expect(f16.mean).toBeLessThan(1e-3);
    // uint8 rounds each weight by up to (max − min)/510 of its tensor, ~0.2 % of its range, a dozen
    // times float16's step (measured: max 6e-3, mean 1e-3). Same ~10x headroom; still far below one
    // grey level of a rendered digit (2/255 ≈ 8e-3) on average.
    const u8 = diffs(outputs(await loadLayersModel(`${base}/uint8/model.json`)), reference);
    console.log(
      `float16 vs float32: max ${f16.max.toExponential(2)}, mean ${f16.mean.toExponential(2)}; uint8: max ${u8.max.toExponential(2)}, mean ${u8.mean.toExponential(2)}`,
    );
    expect(u8.max).toBeLessThan(0.06);
    expect(u8.mean).toBeLessThan(0.01);
    expect(u8.mean).toBeGreaterThan(f16.mean);
  });

  it('verify catches a tampered shard, a missing file and a broken manifest', () => {
    const dir = join(root, 'uint8');
    const v = verifyExport(dir);
    if (!v.ok) throw new Error('pristine export should verify');
    const shard = join(dir, v.manifest.files[1].path);
    const bytes = readFileSync(shard);
    bytes[10] ^= 1;
    writeFileSync(shard, bytes);
    expect(verifyExport(dir)).toEqual({
      ok: false,
      problems: [`${v.manifest.files[1].path}: sha256 does not match the manifest`],
    });
    rmSync(shard);
    expect(verifyExport(dir)).toEqual({ ok: false, problems: [`${v.manifest.files[1].path}: missing`] });
    writeFileSync(join(dir, 'manifest.json'), '{"schema": 2}');
    const broken = verifyExport(dir);
    expect(broken.ok).toBe(false);
  });
});

usageTests('train/export/cli.ts', {
  usage: 'npm run export --',
  help: [
    '--model <dir>',
    '--out <dir>',
    '--quantize <type>',
    'default: "uint8"',
    '--report <file>',
    '--no-ema',
  ],
  errors: [
    [['--model', 'run'], "required option '--out <dir>' not specified"],
    [
      ['--model', 'run', '--out', 'o', '--quantize', 'int4'],
      "argument 'int4' is invalid. Allowed choices are uint8, float16, float32.",
    ],
    [['--model', 'run', '--out', 'o', '--samples', '1e4'], "--samples must be an integer ≥ 100, got '1e4'"],
  ],
});
