import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type Manifest, type Metrics, manifestSchema } from '../../contract/index.ts';
import { errorMessage } from '../errors.ts';
import { replaceDir } from '../fs-atomic.ts';
import { sha256 } from '../hash.ts';
import type { Preset } from '../models/presets.ts';
import { type Quantization, type QuantizationSpec, quantize } from './quantize.ts';

export interface ExportOptions {
  quantization: Quantization;
  metrics: Metrics;
  training: Manifest['training'];
  /** For tests: a fixed clock. */
  now?: Date;
}

/**
 * Writes a standard TF.js layers model (model.json + one content-addressed shard) and the manifest
 * of the contract into `outDir`, atomically (replaceDir). `model.save()` cannot
 * write quantized weights, so manifest and shard are written here. Returns the manifest.
 */
export function exportGenerator(
  generator: LayersModel,
  preset: Preset,
  outDir: string,
  opts: ExportOptions,
): Manifest {
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
  const manifest = manifestSchema.parse({
    schema: 1,
    name: 'mnist-gan',
    version: `${stamp}-${sha256(modelJson).slice(0, 8)}`,
    createdAt: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    preset: preset.name,
    latentDim: preset.latentDim,
    classes: preset.classes,
    output: { height: 28, width: 28, channels: 1, range: [-1, 1] },
    quantization: opts.quantization,
    files: [
      { path: 'model.json', bytes: Buffer.byteLength(modelJson), sha256: sha256(modelJson) },
      { path: shardName, bytes: shard.length, sha256: sha256(shard) },
    ],
    metrics: opts.metrics,
    training: opts.training,
  } satisfies Manifest);

  replaceDir(outDir, (tmp) => {
    writeFileSync(join(tmp, shardName), shard);
    writeFileSync(join(tmp, 'model.json'), modelJson);
    writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest;
}

/** Checks an exported folder against its manifest: schema, then every file's size and sha256. */
export function verifyExport(
  dir: string,
): { ok: true; manifest: Manifest } | { ok: false; problems: string[] } {
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  } catch (e) {
    return {
      ok: false,
      problems: [`manifest.json: ${errorMessage(e).split('\n')[0]}`],
    };
  }
  const problems: string[] = [];
  for (const f of manifest.files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, f.path));
    } catch {
      problems.push(`${f.path}: missing`);
      continue;
    }
    if (bytes.length !== f.bytes) problems.push(`${f.path}: ${bytes.length} bytes, manifest says ${f.bytes}`);
    else if (sha256(bytes) !== f.sha256) problems.push(`${f.path}: sha256 does not match the manifest`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, manifest };
}
