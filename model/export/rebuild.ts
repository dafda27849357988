// Rebuilding a functional tfjs-layers model layer by layer, so an export step can replace some
// layers (folding, rewriting) and copy the rest. The result is an ordinary functional model built
// only from registered tfjs-layers classes: stock `loadLayersModel` reads its model.json.
import { type serialization, serialization as tfSerialization } from '@tensorflow/tfjs-core';
import { type LayersModel, layers, model, SymbolicTensor } from '@tensorflow/tfjs-layers';

type Layer = layers.Layer;

/** What a rewrite sees of one layer: the layer (of the old model) and its inputs in the new one. */
export interface LayerCall {
  layer: Layer;
  inputs: SymbolicTensor[];
}

/**
 * Decides a layer's replacement: the tensor that stands for its output in the new model, or
 * undefined to copy the layer (same class, config and weights).
 */
export type Rewrite = (call: LayerCall) => SymbolicTensor | undefined;

/** The one inbound call of a layer (shared layers never occur in our presets; refused). */
export function onlyNode(layer: Layer) {
  if (layer.inboundNodes.length !== 1)
    throw new Error(`layer "${layer.name}" is called ${layer.inboundNodes.length} times; expected once`);
  return layer.inboundNodes[0];
}

/** The layers that read a layer's output, and whether it is one of the model's outputs. */
export function consumers(m: LayersModel, layer: Layer): { readers: Layer[]; isOutput: boolean } {
  const out = onlyNode(layer).outputTensors;
  const ids = new Set(out.map((t) => t.id));
  return {
    readers: layer.outboundNodes.map((n) => n.outboundLayer),
    isOutput: m.outputs.some((t) => ids.has(t.id)),
  };
}

/** A new layer of `layer`'s class from a config (its own, possibly changed). */
export function layerFromConfig(layer: Layer, config: serialization.ConfigDict): Layer {
  const entry = tfSerialization.SerializationMap.getMap().classNameMap[layer.getClassName()];
  if (!entry) throw new Error(`layer "${layer.name}": class ${layer.getClassName()} is not registered`);
  const [cls, fromConfig] = entry;
  const made = fromConfig(cls, config);
  if (!(made instanceof layers.Layer)) throw new Error(`layer "${layer.name}": did not rebuild as a layer`);
  return made;
}

/** Applies a layer to symbolic inputs, expecting one output. */
export function applyOne(layer: Layer, inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  const out = layer.apply(inputs);
  if (!(out instanceof SymbolicTensor))
    throw new Error(`layer "${layer.name}" did not produce one symbolic output`);
  return out;
}

/** A copy of one layer (same class, config, weights) applied to the new inputs. */
function copyLayer({ layer, inputs }: LayerCall): SymbolicTensor {
  const copy = layerFromConfig(layer, layer.getConfig());
  const out = applyOne(copy, inputs.length === 1 ? inputs[0] : inputs);
  copy.setWeights(layer.getWeights());
  return out;
}

/**
 * Rebuilds `m` in topological order. Inputs keep their names, shapes, dtypes and order; every
 * other layer goes through `rewrite`, or is copied. The old model is left as it was.
 */
export function rebuildModel(m: LayersModel, rewrite: Rewrite, name = m.name): LayersModel {
  const mapped = new Map<number, SymbolicTensor>();
  const inputIds = new Set(m.inputs.map((t) => t.id));
  for (const t of m.inputs) {
    mapped.set(
      t.id,
      layers.input({ batchShape: t.shape, dtype: t.dtype, name: t.sourceLayer.name }) as SymbolicTensor,
    );
  }
  // model.layers is in topological order (by depth), inputs first.
  for (const layer of m.layers) {
    const node = onlyNode(layer);
    if (node.outputTensors.every((t) => inputIds.has(t.id))) continue;
    const inputs = node.inputTensors.map((t) => {
      const n = mapped.get(t.id);
      if (!n) throw new Error(`layer "${layer.name}": its input ${t.name} was not rebuilt before it`);
      return n;
    });
    if (node.outputTensors.length !== 1) throw new Error(`layer "${layer.name}" has several outputs`);
    mapped.set(node.outputTensors[0].id, rewrite({ layer, inputs }) ?? copyLayer({ layer, inputs }));
  }
  const pick = (ts: SymbolicTensor[]) => ts.map((t) => mapped.get(t.id)!);
  const inputs = pick(m.inputs);
  const outputs = pick(m.outputs);
  return model({
    inputs: inputs.length === 1 ? inputs[0] : inputs,
    outputs: outputs.length === 1 ? outputs[0] : outputs,
    name,
  });
}
