import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { trainConfigSchema } from '../../train/config.ts';
import { PIXELS } from '../../train/data/mnist.ts';
import { getPreset, type Preset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { verifyExport } from '../artifact.ts';
import { loadLayersModelFromDir } from '../model-io.ts';
import { evaluateImages, type Report } from './images.ts';
import { worstClass } from './scores.ts';

export type { Report };

/**
 * A generator and its preset, from a run folder or a checkpoint folder: the moving average of G
 * where the checkpoint has one (unless `ema` is false), else G's raw weights.
 */
export function loadGeneratorFromCheckpoint(
  dir: string,
  { ema = true }: { ema?: boolean } = {},
): { generator: LayersModel; preset: Preset; weights: 'ema' | 'raw' } {
  const ckpt =
    readCheckpoint(dir) ?? (existsSync(join(dir, 'state.json')) ? readCheckpoint(join(dir, '..')) : null);
  if (!ckpt)
    throw new Error(
      `${dir}: no model found (expected a run folder, its checkpoint/, or an exported model with manifest.json)`,
    );
  const config = trainConfigSchema.safeParse(ckpt.state.config);
  if (!config.success) throw new Error(`${ckpt.dir}: the checkpoint's run config is invalid`);
  const preset = getPreset(config.data.preset);
  let i = 0;
  const generator = preset.generator({ next: () => i++ });
  const stored = ckpt.state.sections.generator;
  if (stored.length !== generator.weights.length) {
    throw new Error(`${ckpt.dir}: the checkpoint does not hold a ${preset.name} generator`);
  }
  const useEma = ema && ckpt.tensors.ema !== undefined;
  const tensors = (useEma ? ckpt.tensors.ema : undefined) ?? ckpt.tensors.generator;
  const values = tensors.map(({ values, shape }) => tf.tensor(values, shape, 'float32'));
  generator.setWeights(values);
  tf.dispose(values);
  return { generator, preset, weights: useEma ? 'ema' : 'raw' };
}

/**
 * A generator and its preset from any model folder: an exported model (manifest.json, checked
 * file by file against the manifest first, quantized weights dequantized by tfjs as a browser
 * would) or a training run / checkpoint folder.
 */
export async function loadGenerator(
  dir: string,
  opts: { ema?: boolean } = {},
): Promise<{ generator: LayersModel; preset: Preset }> {
  if (!existsSync(join(dir, 'manifest.json'))) return loadGeneratorFromCheckpoint(dir, opts);
  const verified = verifyExport(dir);
  if (!verified.ok)
    throw new Error(`${dir}: the export does not match its manifest: ${verified.problems.join('; ')}`);
  const preset = getPreset(verified.manifest.preset);
  const generator = await loadLayersModelFromDir(dir);
  return { generator, preset };
}

/** n digits from the generator in inference mode; conditional presets ask for each class equally. */
export function generateDigits(
  generator: LayersModel,
  preset: Preset,
  n: number,
  seed: number,
): { images: Float32Array; requested: Int32Array | null } {
  const rng = new Rng(`${seed}/evaluate`);
  const images = new Float32Array(n * PIXELS);
  const requested = preset.classes > 0 ? Int32Array.from({ length: n }, (_, i) => i % preset.classes) : null;
  const batch = 500;
  for (let i = 0; i < n; i += batch) {
    const m = Math.min(batch, n - i);
    tf.tidy(() => {
      const z = tf.tensor2d(rng.normals(m * preset.latentDim), [m, preset.latentDim]);
      const inputs = requested ? [z, tf.tensor2d(Array.from(requested.subarray(i, i + m)), [m, 1])] : z;
      images.set((generator.predict(inputs) as tf.Tensor).dataSync(), i * PIXELS);
    });
  }
  return { images, requested };
}

/**
 * Every metric of DESIGN.md in the shipped classifier's feature space: n generated digits against
 * the 10,000 MNIST test digits, with the floor (n training digits against the test digits); and
 * FID, floor, precision and recall again in the second (MLP) classifier's space, on the same digits.
 */
export async function evaluateGenerator(
  generator: LayersModel,
  preset: Preset,
  opts: { samples: number; seed: number; model: string; log?: (line: string) => void },
): Promise<Report> {
  const started = performance.now();
  opts.log?.(`generating ${opts.samples} digits`);
  const fake = generateDigits(generator, preset, opts.samples, opts.seed);
  const report = await evaluateImages(fake, { preset: preset.name, model: opts.model, log: opts.log });
  return { ...report, seconds: (performance.now() - started) / 1000 };
}

function perClassRows(perClass: number[] | null | undefined): [string, string, string][] {
  if (!perClass) return [];
  const worst = worstClass(perClass);
  return [
    ['  worst class', `${worst.accuracy.toFixed(3)} (digit ${worst.digit})`, ''],
    ['  per class 0-9', perClass.map((a) => a.toFixed(3).replace(/^0/, '')).join(' '), ''],
  ];
}

/** The second feature space's rows, when the report has them. */
function secondRows(
  r: Report,
  f: (v: number | null) => string,
  floor: (fid: number, fidFloor: number) => string,
): [string, string, string][] {
  const s = r.metrics.second;
  if (!s) return [];
  const real = r.reference.second;
  return [
    [`second space (${s.classifier})`, '', ''],
    ['  FID', f(s.fid), floor(s.fid, s.fidFloor)],
    ['  precision (k=3)', f(s.precision), real ? f(real.precision) : '—'],
    ['  recall (k=3)', f(s.recall), real ? f(real.recall) : '—'],
  ];
}

/** The report as an aligned text table. */
export function formatReport(r: Report): string {
  const m = r.metrics;
  const f = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  const floor = (fid: number, fidFloor: number) =>
    `floor ${f(fidFloor)}${fidFloor > 0 ? ` (${(fid / fidFloor).toFixed(2)} ×)` : ''}`;
  const rows: [string, string, string][] = [
    ['FID (lower is better)', f(m.fid), floor(m.fid, m.fidFloor)],
    ['inception score (max 10)', f(m.inceptionScore), f(r.reference.inceptionScore)],
    ['class accuracy', f(m.classAccuracy), f(r.reference.classAccuracy)],
    ...perClassRows(m.perClassAccuracy),
    ['class KL vs uniform', f(m.classKL, 4), f(r.reference.classKL, 4)],
    ['precision (k=3)', f(m.precision), f(r.reference.precision)],
    ['recall (k=3)', f(m.recall), f(r.reference.recall)],
    ...secondRows(r, f, floor),
  ];
  const head: [string, string, string] = ['metric', `${r.preset} (${m.samples} samples)`, 'real digits'];
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(w[i])).join('  ');
  return [line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n');
}
