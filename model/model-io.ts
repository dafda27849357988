import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { readableDir, replaceDir } from '../lib/fs-atomic.ts';

/** A TF.js layers model folder: model.json (topology + weights manifest) and one weights.bin. */
export async function saveLayersModel(model: LayersModel, dir: string): Promise<void> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { weightData, modelTopology, weightSpecs } = saved!;
  const bytes = Array.isArray(weightData)
    ? Buffer.concat(weightData.map((b) => new Uint8Array(b)))
    : new Uint8Array(weightData!);
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: null,
    modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }],
  };
  replaceDir(dir, (tmp) => {
    writeFileSync(join(tmp, 'weights.bin'), bytes);
    writeFileSync(join(tmp, 'model.json'), `${JSON.stringify(json)}\n`);
  });
}

/** Loads a folder written by saveLayersModel (single weights file) from disk. */
export async function loadLayersModelFromDir(target: string): Promise<LayersModel> {
  // A save killed between its two renames left the previous model at `<target>.old`.
  const dir = readableDir(target, 'model.json') ?? target;
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}
