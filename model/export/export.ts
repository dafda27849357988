import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  LOSSES_FILE,
  MANIFEST_SCHEMA,
  type Manifest,
  type ManifestV3,
  type Metrics,
  MODEL_OUTPUT,
  type ModelFile,
  manifestV3Schema,
  modelEntry,
  modelInputs,
  SAMPLES_FILE,
} from '../../contract/index.ts';
import { replaceDir } from '../../lib/fs-atomic.ts';
import { sha256 } from '../../lib/hash.ts';
import type { Preset } from '../../train/models/presets.ts';
import { sampleGridPng } from '../../train/samples.ts';
import { modelCard } from './card.ts';
import { inferenceModel } from './inference.ts';
import { type Quantization, type QuantizationSpec, quantize } from './quantize.ts';

export interface ExportOptions {
  quantization: Quantization;
  metrics: Metrics;
  training: Manifest['training'];
  /** The run's loss chart (losses.svg), published beside the weights when there is one. */
  lossesSvg?: string;
  /** For the card: which of the run's generators this is, and more to say about its training. */
  weightsKind?: 'ema' | 'raw';
  notes?: string[];
  /** For tests: a fixed clock. */
  now?: Date;
  /**
   * Export the generator as trained rather than folded for inference (inference.ts). For
   * comparisons only: every real export is folded.
   */
  unfolded?: boolean;
}

/** The latents' seed of every evaluation and of the sample grid (samples.png): the same digits each time. */
export const SAMPLES_SEED = 1;

/** A file of the export and its manifest entry. */
export interface ExportFile {
  path: string;
  bytes: Uint8Array;
}

export const fileEntry = (f: ExportFile): ModelFile => ({
  path: f.path,
  bytes: f.bytes.length,
  sha256: sha256(f.bytes),
});

/** The facts of a current (schema 3) manifest, from the model and how it was made. */
export interface DescribeOptions {
  preset: Preset;
  /** The generator's input layer names, in predict()'s order. */
  inputNames: readonly string[];
  version: string;
  createdAt: string;
  quantization: Quantization;
  /** model.json and the weight shards. */
  weightFiles: ModelFile[];
  samplesPng: Uint8Array;
  lossesSvg?: string;
  /** The card to state as it is (an upgrade keeps an older schema's), instead of writing it. */
  card?: string;
  weights: number;
  metrics: Metrics;
  training: Manifest['training'];
  weightsKind?: 'ema' | 'raw';
  notes?: string[];
}

/** A current (schema 3) manifest, validated, with the documentation files it lists. */
export function describeModel(d: DescribeOptions): { manifest: ManifestV3; docs: ExportFile[] } {
  const docs: ExportFile[] = [{ path: SAMPLES_FILE, bytes: d.samplesPng }];
  if (d.lossesSvg !== undefined)
    docs.push({ path: LOSSES_FILE, bytes: new TextEncoder().encode(d.lossesSvg) });
  // Schema 2 and later always state the per-class accuracy: null where the model has no classes.
  const metrics = { ...d.metrics, perClassAccuracy: d.metrics.perClassAccuracy ?? null };
  if (d.preset.classes > 0 && !metrics.perClassAccuracy) {
    throw new Error(
      'the metrics lack the per-class accuracy: evaluate the model (npm run evaluate -- --json) and pass that report',
    );
  }
  const manifest = manifestV3Schema.parse({
    schema: MANIFEST_SCHEMA,
    name: 'mnist-gan',
    version: d.version,
    createdAt: d.createdAt,
    preset: d.preset.name,
    latentDim: d.preset.latentDim,
    classes: d.preset.classes,
    output: MODEL_OUTPUT,
    quantization: d.quantization,
    model: modelEntry(d.quantization),
    files: [...d.weightFiles, ...docs.map(fileEntry)],
    inputs: modelInputs(d.preset.latentDim, d.preset.classes, d.inputNames),
    metrics,
    card:
      d.card ??
      modelCard({
        preset: d.preset.name,
        latentDim: d.preset.latentDim,
        classes: d.preset.classes,
        quantization: d.quantization,
        weights: d.weights,
        metrics,
        training: d.training,
        weightsKind: d.weightsKind,
        notes: d.notes,
      }),
    training: d.training,
  } satisfies ManifestV3);
  return { manifest, docs };
}

/**
 * Writes a standard TF.js layers model (model.json + one content-addressed shard), the sample grid
 * (samples.png, drawn by the exported model from the evaluation's seed), the run's losses.svg when
 * given, and the current (schema 3) manifest into `outDir`, atomically (replaceDir). The model is the
 * generator folded for inference (no BatchNorm; see inference.ts). `model.save()` cannot write
 * quantized weights, so manifest and shard are written here. Returns the manifest.
 */
export function exportGenerator(
  trained: LayersModel,
  preset: Preset,
  outDir: string,
  opts: ExportOptions,
): ManifestV3 {
  const generator = opts.unfolded ? trained : inferenceModel(trained);
  try {
    return writeExport(generator, preset, outDir, opts);
  } finally {
    if (generator !== trained) generator.dispose();
  }
}

function writeExport(
  generator: LayersModel,
  preset: Preset,
  outDir: string,
  opts: ExportOptions,
): ManifestV3 {
  const specs: { name: string; shape: number[]; dtype: 'float32'; quantization?: QuantizationSpec }[] = [];
  const parts: Uint8Array[] = [];
  for (const w of generator.weights) {
    const values = w.read().dataSync<'float32'>();
    const { bytes, spec } = quantize(values, opts.quantization);
    parts.push(bytes);
    specs.push({
      name: w.originalName,
      shape: w.shape as number[],
      dtype: 'float32',
      ...(spec ? { quantization: spec } : {}),
    });
  }
  const shard = Buffer.concat(parts);
  const shardName = `${sha256(shard).slice(0, 16)}.bin`;
  const modelJson = `${JSON.stringify({
    format: 'layers-model',
    generatedBy: 'mnist-on-device-gan exporter',
    convertedBy: null,
    modelTopology: generator.toJSON(null, false),
    weightsManifest: [{ paths: [shardName], weights: specs }],
  })}\n`;
  const now = opts.now ?? new Date();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const weightFiles: ExportFile[] = [
    { path: 'model.json', bytes: new TextEncoder().encode(modelJson) },
    { path: shardName, bytes: shard },
  ];
  const { manifest, docs } = describeModel({
    preset,
    inputNames: generator.inputNames,
    version: `${stamp}-${sha256(modelJson).slice(0, 8)}`,
    createdAt: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    quantization: opts.quantization,
    weightFiles: weightFiles.map(fileEntry),
    samplesPng: sampleGridPng(generator, preset, SAMPLES_SEED),
    lossesSvg: opts.lossesSvg,
    weights: generator.countParams(),
    metrics: opts.metrics,
    training: opts.training,
    weightsKind: opts.weightsKind,
    notes: opts.notes,
  });

  replaceDir(outDir, (tmp) => {
    for (const f of [...weightFiles, ...docs]) writeFileSync(join(tmp, f.path), f.bytes);
    writeFileSync(join(tmp, 'manifest.json'), manifestText(manifest));
  });
  return manifest;
}

/** manifest.json as the exporter writes it. */
export const manifestText = (m: Manifest): string => `${JSON.stringify(m, null, 2)}\n`;
