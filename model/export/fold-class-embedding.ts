// Folding a class embedding into the Dense that reads it, for inference. A conditional generator
// computes Dense(concat(z, E[y])) with E a classes × dim table: E[y]·W_e takes one of only
// `classes` values, so W_e's dim rows can become `classes` rows T = E·W_e, read through a one-hot
// E' = I (a classes × classes embedding). Same layers, same inputs, same output; with 10 classes
// and dim 16 that is 6 × units fewer weights (a smaller download) and a narrower matmul.
//
// T's values can be far larger than the rest of the kernel (a sum of dim products each), and the
// uint8 export quantizes each tensor with one scale: so the one-hot carries a power of two c
// (E' = c·I, rows T/c), which keeps the kernel's range and costs no rounding.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, layers } from '@tensorflow/tfjs-layers';
import { applyOne, consumers, layerFromConfig, onlyNode, rebuildModel } from './rebuild.ts';

type Layer = layers.Layer;

/** An Embedding read, flattened and concatenated, by one Dense. */
interface Pattern {
  embedding: Layer;
  dense: Layer;
  /** The embedding's rows in the Dense's kernel. */
  firstRow: number;
}

const readOnlyBy = (m: LayersModel, layer: Layer, reader: Layer) => {
  const { readers, isOutput } = consumers(m, layer);
  return !isOutput && readers.length === 1 && readers[0] === reader;
};

/** The Dense behind an embedding, when the embedding can become a one-hot. */
function pattern(m: LayersModel, embedding: Layer): Pattern | null {
  const cfg = embedding.getConfig();
  const shape = onlyNode(embedding).outputTensors[0].shape;
  // One index per row ([batch, 1, dim]), and fewer classes than dims (else nothing is saved).
  if (shape.length !== 3 || shape[1] !== 1 || cfg.maskZero || Number(cfg.inputDim) >= Number(cfg.outputDim))
    return null;
  const [flatten] = consumers(m, embedding).readers;
  if (flatten?.getClassName() !== 'Flatten' || !readOnlyBy(m, embedding, flatten)) return null;
  const [concat] = consumers(m, flatten).readers;
  if (concat?.getClassName() !== 'Concatenate' || !readOnlyBy(m, flatten, concat)) return null;
  const node = onlyNode(concat);
  const axis = concat.getConfig().axis;
  if (node.outputTensors[0].rank !== 2 || (axis !== -1 && axis !== 1)) return null;
  const [dense] = consumers(m, concat).readers;
  if (dense?.getClassName() !== 'Dense' || !readOnlyBy(m, concat, dense)) return null;
  const at = node.inboundLayers.indexOf(flatten);
  const firstRow = node.inputTensors.slice(0, at).reduce((n, t) => n + (t.shape[1] as number), 0);
  return { embedding, dense, firstRow };
}

const read = (layer: Layer, name: string) => {
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${name}`))!;
  return { data: Float64Array.from(w.read().dataSync<'float32'>()), shape: w.shape as number[] };
};

/** The one-hot embedding's weights (c·I) and the Dense's new kernel (T/c in place of W_e). */
function folded(p: Pattern): { oneHot: tf.Tensor; kernel: tf.Tensor } {
  const e = read(p.embedding, 'embeddings');
  const k = read(p.dense, 'kernel');
  const [classes, dim] = e.shape;
  const [rows, units] = k.shape;
  const t = new Float64Array(classes * units);
  for (let c = 0; c < classes; c++)
    for (let i = 0; i < dim; i++) {
      const ec = e.data[c * dim + i];
      const row = (p.firstRow + i) * units;
      for (let u = 0; u < units; u++) t[c * units + u] += ec * k.data[row + u];
    }
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const rest = [...k.data.subarray(0, p.firstRow * units), ...k.data.subarray((p.firstRow + dim) * units)];
  const restMax = maxAbs(Float64Array.from(rest));
  const scale = restMax > 0 ? 2 ** Math.round(Math.log2(maxAbs(t) / restMax || 1)) : 1;
  const kernel = new Float32Array((rows - dim + classes) * units);
  kernel.set(k.data.subarray(0, p.firstRow * units));
  kernel.set(
    t.map((v) => v / scale),
    p.firstRow * units,
  );
  kernel.set(k.data.subarray((p.firstRow + dim) * units), (p.firstRow + classes) * units);
  const eye = new Float32Array(classes * classes);
  for (let c = 0; c < classes; c++) eye[c * classes + c] = scale;
  return {
    oneHot: tf.tensor2d(eye, [classes, classes]),
    kernel: tf.tensor2d(kernel, [rows - dim + classes, units]),
  };
}

/**
 * A new model computing what `m` computes, where each class embedding that a Dense reads
 * (through Flatten and Concatenate) is a scaled one-hot and the Dense holds E·W_e. Models without
 * that pattern are rebuilt unchanged.
 */
export function foldClassEmbedding(m: LayersModel): LayersModel {
  const patterns = m.layers.flatMap((l) => (l.getClassName() === 'Embedding' ? [pattern(m, l)] : []));
  const byLayer = new Map<Layer, { pattern: Pattern; weights: ReturnType<typeof folded> }>();
  for (const p of patterns) {
    if (!p) continue;
    const entry = { pattern: p, weights: folded(p) };
    byLayer.set(p.embedding, entry);
    byLayer.set(p.dense, entry);
  }
  const rebuilt = rebuildModel(m, ({ layer, inputs }) => {
    const entry = byLayer.get(layer);
    if (!entry) return undefined;
    const { pattern: p, weights } = entry;
    if (layer === p.embedding) {
      const classes = Number(layer.getConfig().inputDim);
      const oneHot = layerFromConfig(layer, { ...layer.getConfig(), outputDim: classes });
      const out = applyOne(oneHot, inputs[0]);
      oneHot.setWeights([weights.oneHot]);
      return out;
    }
    const dense = layerFromConfig(layer, layer.getConfig());
    const out = applyOne(dense, inputs[0]);
    const bias = layer.weights.filter((w) => w.originalName.endsWith('/bias')).map((w) => w.read());
    dense.setWeights([weights.kernel, ...bias]);
    return out;
  });
  for (const { weights } of new Set(byLayer.values())) tf.dispose([weights.oneHot, weights.kernel]);
  return rebuilt;
}
