// Export: standard TF.js layers models in three precisions with a schema 3 manifest (the model file,
// its format and dequantization, inputs in feed order, output, card, sample grid, loss chart), loaded
// by stock tf.loadLayersModel over loopback HTTP (as a browser would), outputs compared, tampering
// detected; older (schema 1 and 2) exports upgraded in place.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEQUANTIZE,
  type ManifestV1,
  type ManifestV2,
  manifestSchema,
  runtimeFiles,
} from '../../contract/index.ts';
import { verifyExport } from '../../model/artifact.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { inferenceModel } from '../../model/export/inference.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { selectBackend } from '../../train/backend.ts';
import { Batches, disposeBatch } from '../../train/batches.ts';
import { loadMnist } from '../../train/data/mnist.ts';
import { createGan, type GanTrainer } from '../../train/gan.ts';
import { getPreset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { absDiff } from '../array-diff.ts';
import { runCli, usageTests } from './cli-usage.ts';

const root = mkdtempSync(join(tmpdir(), 'export-'));
const upgradeRoot = mkdtempSync(join(tmpdir(), 'export-upgrade-'));
const preset = getPreset('fast-cond');
const metrics = {
  fid: 50,
  fidFloor: 1,
  inceptionScore: 5,
  classAccuracy: 0.5,
  perClassAccuracy: [0.5, 0.6, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
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
const LOSSES = '<svg xmlns="http://www.w3.org/2000/svg"><text>losses</text></svg>\n';
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
    exportGenerator(gan.generator, preset, join(root, q), {
      quantization: q,
      metrics,
      training,
      lossesSvg: q === 'uint8' ? LOSSES : undefined,
      weightsKind: 'ema',
    });
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
  rmSync(upgradeRoot, { recursive: true, force: true });
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
const diffs = absDiff;

// First: the tests below tamper with the uint8 export this copies.
describe('npm run export -- --upgrade', () => {
  it('rewrites a schema 1 export as schema 3 in place: same weights and version, grid drawn by the model', () => {
    const dir = join(upgradeRoot, 'old');
    cpSync(join(root, 'uint8'), dir, { recursive: true });
    const v = verifyExport(dir);
    if (!v.ok || v.manifest.schema !== 3) throw new Error('expected a schema 3 export');
    // The same folder as an exporter before schema 2 wrote it, with the files a shipped model keeps beside it.
    const { inputs: _i, card: _c, model: _m, ...rest } = v.manifest;
    const old: ManifestV1 = {
      ...rest,
      schema: 1,
      output: { height: 28, width: 28, channels: 1, range: [-1, 1] },
      files: runtimeFiles(v.manifest),
      metrics: { ...v.manifest.metrics },
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(old, null, 2));
    rmSync(join(dir, 'samples.png'));
    writeFileSync(join(dir, 'training.json'), JSON.stringify({ recipe: 'the test recipe, batch 16' }));
    expect(manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).schema).toBe(1);

    const r = runCli('bin/export.ts', ['--upgrade', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`upgraded ${old.version} in ${dir} to manifest schema 3`);
    const up = verifyExport(dir);
    if (!up.ok || up.manifest.schema !== 3) throw new Error(`not upgraded: ${JSON.stringify(up)}`);
    expect(up.manifest.version).toBe(old.version);
    expect(up.manifest.createdAt).toBe(old.createdAt);
    expect(up.manifest.files.slice(0, 2)).toEqual(old.files);
    expect(up.manifest.files.map((f) => f.path).slice(2)).toEqual(['samples.png', 'losses.svg']);
    expect(up.manifest.card).toContain('Recipe: the test recipe, batch 16.');
    expect(readdirSync(dir)).toContain('training.json'); // kept
    // Drawn by the exported (uint8) model from the evaluation's seed: the exporter's grid, up to rounding.
    const drawn = PNG.sync.read(readFileSync(join(dir, 'samples.png')));
    const exported = PNG.sync.read(readFileSync(join(root, 'uint8', 'samples.png')));
    expect([drawn.width, drawn.height]).toEqual([exported.width, exported.height]);
    let off = 0;
    for (let i = 0; i < drawn.data.length; i++) off += Math.abs(drawn.data[i] - exported.data[i]);
    expect(off / drawn.data.length).toBeLessThan(2); // grey levels, on average

    // Running it again changes nothing.
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(runCli('bin/export.ts', ['--upgrade', dir]).status).toBe(0);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(text);

    // A folder that does not match its manifest is refused, untouched.
    const shard = join(dir, old.files[1].path);
    const bytes = readFileSync(shard);
    bytes[3] ^= 1;
    writeFileSync(shard, bytes);
    const refused = runCli('bin/export.ts', ['--upgrade', dir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('not a valid export');
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(text);
  });

  it('rewrites a schema 2 export as schema 3: only manifest.json changes (sample grid and card kept)', () => {
    const dir = join(upgradeRoot, 'v2');
    cpSync(join(root, 'float16'), dir, { recursive: true });
    const v = verifyExport(dir);
    if (!v.ok || v.manifest.schema !== 3) throw new Error('expected a schema 3 export');
    const { model: _m, inputs, ...rest } = v.manifest;
    const old: ManifestV2 = {
      ...rest,
      schema: 2,
      inputs: inputs.map(({ order: _o, values: _v, ...input }) => input),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(old, null, 2));
    // A recipe beside it would change a written card: the kept one does not mention it.
    writeFileSync(join(dir, 'training.json'), JSON.stringify({ recipe: 'not in the card' }));
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));

    const r = runCli('bin/export.ts', ['--upgrade', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('keeping samples.png');
    for (const [f, bytes] of before)
      if (f !== 'manifest.json') expect(readFileSync(join(dir, f)).equals(bytes), f).toBe(true);
    // Byte for byte what the exporter wrote: the same version, files, card, and the schema 3 fields.
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(
      readFileSync(join(root, 'float16', 'manifest.json'), 'utf8'),
    );
  });
});

describe('export', () => {
  it('writes model.json, one content-addressed shard and a valid manifest; sizes follow the precision', () => {
    // Each folder is put in place whole (replaceDir): no temporary or set-aside folder stays behind.
    expect(readdirSync(root).sort()).toEqual(['float16', 'float32', 'uint8']);
    // The export is the generator folded for inference (fewer weights than trained).
    const folded = inferenceModel(gan.generator);
    const params = folded.countParams();
    folded.dispose();
    expect(params).toBeLessThan(gan.generator.countParams());
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

  it('the manifest is schema 3: the model file, how to call it, per-class accuracy, card, sample grid, loss chart', () => {
    const v = verifyExport(join(root, 'uint8'));
    if (!v.ok || v.manifest.schema !== 3) throw new Error('expected a schema 3 export');
    const m = v.manifest;
    expect(m.files.map((f) => f.path)).toEqual([
      'model.json',
      expect.stringMatching(/\.bin$/),
      'samples.png',
      'losses.svg',
    ]);
    expect(readFileSync(join(root, 'uint8', 'losses.svg'), 'utf8')).toBe(LOSSES);
    // Only a run with a loss chart lists one.
    const f32 = verifyExport(join(root, 'float32'));
    expect(f32.ok && f32.manifest.files.map((f) => f.path)).not.toContain('losses.svg');
    // The model is model.json, a TF.js layers model whose weights dequantize as the manifest says.
    expect(m.model).toEqual({ file: 'model.json', format: 'tfjs-layers', dequantize: DEQUANTIZE.uint8 });
    const modelJson = JSON.parse(readFileSync(join(root, 'uint8', m.model.file), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    for (const w of modelJson.weightsManifest[0].weights)
      expect(w.quantization, w.name).toMatchObject({
        dtype: 'uint8',
        scale: expect.any(Number),
        min: expect.any(Number),
      });
    for (const q of ['float16', 'float32'] as const) {
      const other = verifyExport(join(root, q));
      expect(other.ok && other.manifest.schema === 3 && other.manifest.model.dequantize).toBe(DEQUANTIZE[q]);
    }
    // The inputs are the model's own, in feed order (model.json's input_layers, predict()'s order).
    expect(m.inputs.map((i) => i.name)).toEqual(gan.generator.inputNames);
    expect(modelJson.modelTopology.config.input_layers.map((l: unknown[]) => l[0])).toEqual(
      m.inputs.map((i) => i.name),
    );
    expect(m.inputs).toEqual([
      { name: 'noise', order: 0, shape: [null, 64], dtype: 'float32', distribution: 'normal(0,1)' },
      {
        name: 'label',
        order: 1,
        shape: [null, 1],
        dtype: 'float32',
        encoding: 'class index 0-9',
        values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      },
    ]);
    expect(m.output).toMatchObject({ shape: [null, 28, 28, 1], layout: 'NHWC', range: [-1, 1] });
    expect(m.metrics.perClassAccuracy).toEqual(metrics.perClassAccuracy);
    expect(m.card).toContain('20 steps at batch 16');
    expect(m.card).toContain('moving average');
    expect(m.card).toContain('worst: digit 2, 40.0 %');
    // The sample grid: one row of 8 digits per class (28 px + 2 px gap, drawn at 2x).
    const png = PNG.sync.read(readFileSync(join(root, 'uint8', 'samples.png')));
    expect([png.width, png.height]).toEqual([(8 * 30 + 2) * 2, (10 * 30 + 2) * 2]);
  });

  it('a conditional model without per-class accuracy is refused (schema 2 and later state it)', () => {
    const { perClassAccuracy: _, ...without } = metrics;
    expect(() =>
      exportGenerator(gan.generator, preset, join(root, 'refused'), {
        quantization: 'uint8',
        metrics: without,
        training,
      }),
    ).toThrow(/per-class accuracy/);
    expect(existsSync(join(root, 'refused'))).toBe(false);
  });

  it('stock tf.loadLayersModel loads every precision over HTTP; outputs stay close to float32', async () => {
    const reference = outputs(gan.generator);
    // float32 is the generator folded for inference: the same function up to float rounding.
    const f32 = await loadLayersModel(`${base}/float32/model.json`);
    expect(diffs(outputs(f32), reference).max).toBeLessThan(1e-5);
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

describe('npm run export -- --refold', () => {
  it("re-exports an export's own weights through today's inference steps as a new version, keeping what it states", async () => {
    // An export as an exporter without today's steps wrote it: here the unfolded generator
    // (BatchNorm, LeakyReLU, tanh), float32 so that the comparison below sees only rounding.
    const src = join(upgradeRoot, 'refold-src');
    const old = exportGenerator(gan.generator, preset, src, {
      quantization: 'float32',
      metrics,
      training,
      lossesSvg: LOSSES,
      weightsKind: 'ema',
      unfolded: true,
      now: new Date('2026-01-02T03:04:05Z'),
    });
    writeFileSync(join(src, 'training.json'), JSON.stringify({ recipe: 'the test recipe' }));
    writeFileSync(join(src, 'report.json'), '{"kept": true}\n');
    const out = join(upgradeRoot, 'refold-out');

    const r = runCli('bin/export.ts', ['--refold', src, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const v = verifyExport(out);
    if (!v.ok || v.manifest.schema !== 3) throw new Error(`not a valid export: ${JSON.stringify(v)}`);
    const m = v.manifest;
    expect(r.stdout).toContain(`as ${m.version}`);
    expect(m.version).not.toBe(old.version);
    expect([m.metrics, m.training, m.quantization]).toEqual([old.metrics, old.training, old.quantization]);
    expect(m.card).toContain('The exported weights are the moving average');
    expect(m.card).toContain('Recipe: the test recipe.');
    for (const f of ['training.json', 'report.json', 'losses.svg'])
      expect(readFileSync(join(out, f)).equals(readFileSync(join(src, f))), f).toBe(true);
    const layerClasses = (dir: string) =>
      (
        JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
          modelTopology: { config: { layers: { class_name: string }[] } };
        }
      ).modelTopology.config.layers.map((l) => l.class_name);
    expect(layerClasses(src)).toEqual(expect.arrayContaining(['BatchNormalization', 'LeakyReLU']));
    expect(layerClasses(out)).toEqual(expect.arrayContaining(['PReLU', 'Rescaling']));
    expect(layerClasses(out)).not.toEqual(expect.arrayContaining(['BatchNormalization']));
    expect(layerClasses(out)).not.toEqual(expect.arrayContaining(['LeakyReLU']));
    // The same function.
    const before = outputs(await loadLayersModelFromDir(src));
    const after = outputs(await loadLayersModelFromDir(out));
    expect(diffs(before, after).max).toBeLessThan(1e-5);
    // Again, in place: nothing left to change, so the same model.json and shard (content-addressed).
    const modelJson = readFileSync(join(out, 'model.json'), 'utf8');
    const again = runCli('bin/export.ts', ['--refold', out, '--out', out]);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe(modelJson);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('{"kept": true}\n');
  });
});

describe('npm run export -- --training-from', () => {
  it('re-exports the same weights with an earlier export’s training facts and notes', () => {
    // Busy machine: training three steps and two exports take a while.
    const run = (script: string, args: string[]) => runCli(script, args, 300_000);
    const dir = join(root, 'training-from');
    const runDir = join(dir, 'run');
    const t = run('bin/train.ts', [
      ...['--preset', 'fast-cond', '--steps', '3', '--batch-size', '16', '--backend', 'wasm'],
      ...['--out', runDir, '--no-export'],
    ]);
    expect(t.status, t.stderr).toBe(0);
    const report = join(dir, 'report.json');
    writeFileSync(report, JSON.stringify({ metrics }));
    const first = join(dir, 'first');
    expect(run('bin/export.ts', ['--model', runDir, '--out', first, '--report', report]).status).toBe(0);
    // The earlier export as shipped: trained elsewhere, with a note on its recipe beside it.
    const path = join(first, 'manifest.json');
    const earlier = JSON.parse(readFileSync(path, 'utf8')) as { training: Record<string, unknown> };
    const facts = { ...earlier.training, seconds: 1309, device: 'the original machine', commit: 'cd8326a' };
    writeFileSync(path, JSON.stringify({ ...earlier, training: facts }));
    writeFileSync(join(first, 'training.json'), JSON.stringify({ recipe: 'the shipped recipe' }));

    const again = join(dir, 'again');
    const r = run('bin/export.ts', [
      ...['--model', runDir, '--out', again, '--report', report, '--training-from', first],
    ]);
    expect(r.status, r.stderr).toBe(0);
    const v = verifyExport(again);
    if (!v.ok || v.manifest.schema !== 3) throw new Error('expected a schema 3 export');
    expect(v.manifest.training).toEqual(facts);
    expect(v.manifest.card).toContain('(1,309 s, backend wasm, the original machine)');
    expect(v.manifest.card).toContain('Recipe: the shipped recipe.');
    // Same weights, same model files.
    const firstFiles = verifyExport(first);
    expect(firstFiles.ok && firstFiles.manifest.files.slice(0, 2)).toEqual(v.manifest.files.slice(0, 2));

    // An export of another number of steps is not the same weights.
    writeFileSync(path, JSON.stringify({ ...earlier, training: { ...facts, steps: 8000 } }));
    const refused = run('bin/export.ts', [
      ...['--model', runDir, '--out', join(dir, 'refused'), '--report', report, '--training-from', first],
    ]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      'trained 8000 steps at batch 16, the run 3 at batch 16: not the same weights',
    );
  });
});

usageTests('bin/export.ts', {
  usage: 'npm run export --',
  help: [
    '--model <dir>',
    '--out <dir>',
    '--quantize <type>',
    'default: "uint8"',
    '--report <file>',
    '--no-ema',
    '--training-from <dir>',
    '--upgrade <dir>',
    '--refold <dir>',
  ],
  errors: [
    [
      ['--model', 'run'],
      '--model <dir> and --out <dir> are required (or --upgrade <dir>, or --refold <dir>)',
    ],
    [[], '--model <dir> and --out <dir> are required (or --upgrade <dir>, or --refold <dir>)'],
    [['--refold', 'x'], '--refold <dir> needs --out <dir>'],
    [['--refold', 'x', '--out', 'o', '--report', 'r.json'], '--refold keeps the export’s own weights'],
    [['--refold', 'x', '--out', 'o', '--quantize', 'float16'], '--refold keeps the export’s own weights'],
    [['--upgrade', 'x', '--out', 'o'], 'give it without --model and --out'],
    [['--upgrade', 'x', '--training-from', 'y'], 'give it without --training-from'],
    [
      ['--model', 'run', '--out', 'o', '--quantize', 'int4'],
      "argument 'int4' is invalid. Allowed choices are uint8, float16, float32.",
    ],
    [['--model', 'run', '--out', 'o', '--samples', '1e4'], "--samples must be an integer ≥ 100, got '1e4'"],
  ],
});
