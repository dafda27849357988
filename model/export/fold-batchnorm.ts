// Folding each BatchNormalization into the layer before it, for inference. In inference mode BN
// is a per-channel affine map y = (x − mean)·γ/√(var + ε) + β, so after a Dense, Conv2D or
// Conv2DTranspose with a linear activation it can be absorbed into that layer's kernel and bias:
// W' = W·s per output channel and b' = (b − mean)·s + β with s = γ/√(var + ε). The page then runs
// one fused matmul/conv (bias included) where it ran a matmul/conv and a BatchNorm.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, layers } from '@tensorflow/tfjs-layers';
import { applyOne, consumers, layerFromConfig, onlyNode, rebuildModel } from './rebuild.ts';

type Layer = layers.Layer;

/** Layers a BatchNorm can fold into, and where their kernel keeps the output channel. */
const FOLDABLE: Record<string, (shape: number[]) => { channels: number; stride: number }> = {
  // [in, out]: the channel varies fastest.
  Dense: (s) => ({ channels: s[1], stride: 1 }),
  // [kh, kw, in, out]: the channel varies fastest.
  Conv2D: (s) => ({ channels: s[3], stride: 1 }),
  // [kh, kw, out, in]: a channel's weights are runs of `in` values.
  Conv2DTranspose: (s) => ({ channels: s[2], stride: s[3] }),
};

/** A layer's weight by its name in the layer (kernel, bias, gamma, …), as float64 values. */
function weight(layer: Layer, name: string): { values: Float64Array; shape: number[] } | undefined {
  const w = layer.weights.find((v) => v.originalName.endsWith(`/${name}`));
  return w && { values: Float64Array.from(w.read().dataSync<'float32'>()), shape: w.shape as number[] };
}

/** Why `bn` cannot be folded into the layer before it, or null when it can. */
function unfoldable(m: LayersModel, bn: Layer, prev: Layer): string | null {
  const kind = prev.getClassName();
  if (!(kind in FOLDABLE)) return `it follows "${prev.name}" (${kind})`;
  const config = prev.getConfig();
  if (config.activation !== 'linear')
    return `it follows "${prev.name}" (${kind}) with a ${String(config.activation)} activation`;
  if (kind !== 'Dense' && config.dataFormat !== 'channelsLast')
    return `it follows "${prev.name}" (${kind}) with channels first`;
  const rank = onlyNode(bn).inputTensors[0].rank;
  const axis = bn.getConfig().axis;
  if (axis !== -1 && axis !== rank - 1) return `it normalises axis ${String(axis)}, not the channels`;
  const { readers, isOutput } = consumers(m, prev);
  if (readers.length !== 1 || isOutput)
    return `"${prev.name}"'s output is also read elsewhere, which would see the folded values`;
  return null;
}

/** The folded kernel and bias of `prev` followed by `bn`, as float32 tensors (caller disposes). */
function foldedWeights(prev: Layer, bn: Layer): tf.Tensor[] {
  const kernel = weight(prev, 'kernel')!;
  const { channels, stride } = FOLDABLE[prev.getClassName()](kernel.shape);
  const cfg = bn.getConfig();
  const eps = Number(cfg.epsilon);
  const mean = weight(bn, 'moving_mean')!.values;
  const variance = weight(bn, 'moving_variance')!.values;
  const gamma = cfg.scale ? weight(bn, 'gamma')!.values : new Float64Array(channels).fill(1);
  const beta = cfg.center ? weight(bn, 'beta')!.values : new Float64Array(channels);
  const bias = weight(prev, 'bias')?.values ?? new Float64Array(channels);
  // In float64, so the fold adds no rounding beyond the final cast to float32.
  const s = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
  const k = kernel.values.map((w, i) => w * s[Math.floor(i / stride) % channels]);
  const b = bias.map((v, c) => (v - mean[c]) * s[c] + beta[c]);
  return [
    tf.tensor(Float32Array.from(k), kernel.shape, 'float32'),
    tf.tensor1d(Float32Array.from(b), 'float32'),
  ];
}

/**
 * A new model computing what `m` computes in inference mode, with every BatchNormalization folded
 * into the Dense / Conv2D / Conv2DTranspose before it (which then has a bias). Same input names,
 * order and output. Throws, naming the layer, for a BatchNorm that follows anything else.
 */
export function foldBatchNorm(m: LayersModel): LayersModel {
  // Plan first, so an unfoldable BatchNorm fails before anything is built.
  const bnAfter = new Map<Layer, Layer>();
  for (const layer of m.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const prev = onlyNode(layer).inboundLayers[0];
    const why = unfoldable(m, layer, prev);
    if (why) throw new Error(`cannot fold BatchNormalization layer "${layer.name}": ${why}`);
    bnAfter.set(prev, layer);
  }
  return rebuildModel(m, ({ layer, inputs }) => {
    if (layer.getClassName() === 'BatchNormalization') return inputs[0]; // folded into its input
    const bn = bnAfter.get(layer);
    if (!bn) return undefined;
    const folded = layerFromConfig(layer, { ...layer.getConfig(), useBias: true });
    const out = applyOne(folded, inputs[0]);
    const values = foldedWeights(layer, bn);
    folded.setWeights(values);
    tf.dispose(values);
    return out;
  });
}
