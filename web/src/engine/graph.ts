// An exported generator's layer graph as a function of tfjs-core ops. Every export of ours is a
// dozen standard Keras layer classes, so the page needs neither tfjs-layers' script (evaluated on
// the engine's thread before the first digits) nor its model building. A model with any other
// layer, or weights not where its layers expect them, is not compiled here: generator.ts then
// hands it to tfjs-layers, which runs anything Keras-shaped.
import type * as tfc from '@tensorflow/tfjs-core';

type Tf = typeof tfc;
type Tensor = tfc.Tensor;
type Weights = tfc.NamedTensorMap;
type Config = Record<string, unknown>;
type Node = [string, number, number, ...unknown[]];

interface LayerJson {
  class_name: string;
  config: Config & { name: string };
  inbound_nodes?: Node[][];
}

interface Topology {
  class_name?: string;
  config?: { layers?: LayerJson[]; input_layers?: Node[]; output_layers?: Node[] };
  model_config?: Topology;
}

/** What cannot be compiled here, said for the console. */
export class Unsupported extends Error {}

/** The graph: the model's inputs in `input_layers` order to its one output. Call inside a tidy. */
export type Graph = (inputs: Tensor[]) => Tensor;

type Op = (xs: Tensor[]) => Tensor;

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
type Activation = (typeof ACTIVATIONS)[number];

function activationOf(c: Config): Activation {
  const a = c.activation ?? 'linear';
  if (!ACTIVATIONS.includes(a as Activation)) throw new Unsupported(`activation ${String(a)}`);
  return a as Activation;
}

const pair = (v: unknown, name: string): [number, number] => {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every(Number.isInteger))
    throw new Unsupported(`${name} ${String(v)}`);
  return p as [number, number];
};

function padding(c: Config): 'same' | 'valid' {
  if (c.padding !== 'same' && c.padding !== 'valid') throw new Unsupported(`padding ${String(c.padding)}`);
  if ((c.data_format ?? 'channels_last') !== 'channels_last')
    throw new Unsupported(`data_format ${String(c.data_format)}`);
  return c.padding;
}

/** One layer as an op on its inputs, given its weights by short name (`kernel`, `bias`, …). */
function layerOp(tf: Tf, l: LayerJson, weight: (short: string, rank: number) => Tensor): Op {
  const c = l.config;
  // tfjs-core fuses linear, relu and sigmoid into the matmul or convolution; tanh follows it.
  const fused = (a: Activation) => (a === 'tanh' ? 'linear' : a);
  const after = (a: Activation, y: Tensor) => (a === 'tanh' ? tf.tanh(y) : y);
  const activate = (a: Activation, y: Tensor) =>
    a === 'linear' ? y : a === 'relu' ? tf.relu(y) : a === 'sigmoid' ? tf.sigmoid(y) : tf.tanh(y);
  const bias = () => (c.use_bias === false ? undefined : weight('bias', 1));
  switch (l.class_name) {
    case 'Embedding': {
      if (c.mask_zero) throw new Unsupported('Embedding with mask_zero');
      const table = weight('embeddings', 2);
      return ([x]) => {
        const rows = tf.gather(table, tf.reshape(tf.cast(x, 'int32'), [-1]));
        return tf.reshape(rows, [...x.shape, table.shape[1] as number]);
      };
    }
    case 'Flatten':
      return ([x]) => tf.reshape(x, [x.shape[0], -1]);
    case 'Concatenate': {
      const axis = (c.axis ?? -1) as number;
      return (xs) => tf.concat(xs, axis < 0 ? xs[0].rank + axis : axis);
    }
    case 'Dense': {
      const a = activationOf(c);
      const [kernel, b] = [weight('kernel', 2), bias()];
      return ([x]) => {
        const flat = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape[x.rank - 1]]);
        const y = tf.fused.matMul({ a: flat, b: kernel, bias: b, activation: fused(a) });
        return after(
          a,
          x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), kernel.shape[1] as number]),
        );
      };
    }
    case 'Conv2D': {
      const a = activationOf(c);
      const [filter, b] = [weight('kernel', 4), bias()];
      const [strides, dilations, pad] = [
        pair(c.strides, 'strides'),
        pair(c.dilation_rate ?? 1, 'dilation_rate'),
        padding(c),
      ];
      return ([x]) =>
        after(
          a,
          tf.fused.conv2d({
            x: x as tfc.Tensor4D,
            filter: filter as tfc.Tensor4D,
            strides,
            pad,
            dilations,
            bias: b,
            activation: fused(a),
          }),
        );
    }
    case 'Conv2DTranspose': {
      const a = activationOf(c);
      if (c.output_padding != null) throw new Unsupported('Conv2DTranspose with output_padding');
      if (pair(c.dilation_rate ?? 1, 'dilation_rate').some((d) => d !== 1))
        throw new Unsupported('dilated Conv2DTranspose');
      const [filter, b] = [weight('kernel', 4) as tfc.Tensor4D, bias()];
      const [strides, pad] = [pair(c.strides, 'strides'), padding(c)];
      const [kh, kw, filters] = filter.shape;
      // Keras's output length: the input's times the stride, plus the kernel's overhang when valid.
      const out = (n: number, s: number, k: number) => n * s + (pad === 'valid' ? Math.max(k - s, 0) : 0);
      return ([x]) => {
        const [n, h, w] = x.shape;
        const shape: [number, number, number, number] = [
          n,
          out(h!, strides[0], kh),
          out(w!, strides[1], kw),
          filters,
        ];
        const y = tf.conv2dTranspose(x as tfc.Tensor4D, filter, shape, strides, pad);
        return activate(a, b ? tf.add(y, b) : y);
      };
    }
    case 'Reshape': {
      const target = c.target_shape as number[];
      return ([x]) => tf.reshape(x, [x.shape[0], ...target]);
    }
    case 'Permute': {
      const dims = c.dims as number[];
      return ([x]) => tf.transpose(x, [0, ...dims]);
    }
    case 'UpSampling2D': {
      const [sh, sw] = pair(c.size, 'size');
      if ((c.interpolation ?? 'nearest') !== 'nearest')
        throw new Unsupported(`UpSampling2D ${String(c.interpolation)}`);
      if ((c.data_format ?? 'channels_last') !== 'channels_last')
        throw new Unsupported('channels_first UpSampling2D');
      return ([x]) => tf.image.resizeNearestNeighbor(x as tfc.Tensor4D, [x.shape[1]! * sh, x.shape[2]! * sw]);
    }
    case 'PReLU': {
      const alpha = weight('alpha', -1);
      return ([x]) => tf.prelu(x, alpha);
    }
    case 'LeakyReLU': {
      const alpha = (c.alpha ?? 0.3) as number;
      return ([x]) => tf.leakyRelu(x, alpha);
    }
    case 'Rescaling': {
      const [scale, offset] = [c.scale as number, (c.offset ?? 0) as number];
      return ([x]) => tf.add(tf.mul(x, scale), offset);
    }
    case 'Activation': {
      const a = activationOf(c);
      return ([x]) => activate(a, x);
    }
    default:
      throw new Unsupported(`layer ${l.class_name}`);
  }
}

/**
 * The topology of a model.json, with its decoded weights, as a graph; or Unsupported (thrown)
 * saying what is not compiled here. Every weight must be used by exactly one layer.
 */
export function compileGraph(tf: Tf, modelTopology: unknown, weights: Weights): Graph {
  const top = modelTopology as Topology;
  const model = top.model_config ?? top;
  const { layers, input_layers: inputs, output_layers: outputs } = model.config ?? {};
  if (model.class_name !== 'Model' || !layers || !inputs || outputs?.length !== 1)
    throw new Unsupported(`a ${model.class_name ?? 'model'} without one output (a functional Model has one)`);
  const used = new Set<string>();
  const ops = new Map<string, { op: Op | null; from: string[] }>();
  for (const l of layers) {
    const nodes = l.inbound_nodes ?? [];
    if (nodes.length > 1) throw new Unsupported(`layer ${l.config.name} is called more than once`);
    const from = (nodes[0] ?? []).map(([name, node, tensor]) => {
      if (node !== 0 || tensor !== 0) throw new Unsupported(`layer ${l.config.name} reads another node`);
      return name;
    });
    const weight = (short: string, rank: number) => {
      const name = `${l.config.name}/${short}`;
      const w = weights[name];
      if (!w || (rank > 0 && w.rank !== rank)) throw new Unsupported(`weight ${name}`);
      used.add(name);
      return w;
    };
    ops.set(l.config.name, { op: l.class_name === 'InputLayer' ? null : layerOp(tf, l, weight), from });
  }
  const unused = Object.keys(weights).filter((w) => !used.has(w));
  if (unused.length) throw new Unsupported(`weights no layer reads: ${unused.join(', ')}`);
  const inputNames = inputs.map(([name]) => name);
  const output = outputs[0][0];
  return (xs) => {
    if (xs.length !== inputNames.length)
      throw new Error(`the generator takes ${inputNames.length} inputs, got ${xs.length}`);
    const values = new Map<string, Tensor>(inputNames.map((name, i) => [name, xs[i]]));
    const value = (name: string): Tensor => {
      const known = values.get(name);
      if (known) return known;
      const layer = ops.get(name);
      if (!layer?.op) throw new Error(`the graph has no layer ${name} to read`);
      const y = layer.op(layer.from.map(value));
      values.set(name, y);
      return y;
    };
    return value(output);
  };
}
