// LeakyReLU as PReLU with every slope the same, for inference. Same function, other kernel: tfjs's
// WASM backend runs LeakyReLU as a plain scalar loop on one thread, and PReLU through XNNPACK
// (vectorised, on every thread of the pool). On the page's 64-digit batch the two LeakyReLUs of
// `fast-cond` took 2.9 of 14 ms on two threads (`npm run bench:web`'s kernel table). PReLU's
// slopes are per channel, shared over the image's positions: one weight per channel, all α. A
// LeakyReLU on a flat vector that only a Reshape reads moves after the Reshape (elementwise
// functions commute with it), so its slopes are per channel of the image, not one per element.
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { applyOne, consumers, rebuildModel } from './rebuild.ts';

type Layer = layers.Layer;

/** A PReLU equal to LeakyReLU(α) on `x` (channels last). */
function prelu(leaky: Layer, x: SymbolicTensor): SymbolicTensor {
  const alpha = Number(leaky.getConfig().alpha);
  const rank = x.shape.length;
  const channels = x.shape[rank - 1];
  if (typeof channels !== 'number')
    throw new Error(`layer "${leaky.name}": its input has no fixed channel count`);
  const sharedAxes = Array.from({ length: rank - 2 }, (_, i) => i + 1);
  const layer = layers.prelu({ sharedAxes: sharedAxes.length ? sharedAxes : undefined, name: leaky.name });
  const y = applyOne(layer, x);
  const slopes = tf.fill([...Array<number>(rank - 2).fill(1), channels], alpha);
  layer.setWeights([slopes]);
  slopes.dispose();
  return y;
}

/** The Reshape a flat LeakyReLU can move behind: its only reader, to an image. */
function reshapeAfter(m: LayersModel, leaky: Layer): Layer | null {
  const { readers, isOutput } = consumers(m, leaky);
  if (isOutput || readers.length !== 1 || readers[0].getClassName() !== 'Reshape') return null;
  const target = readers[0].getConfig().targetShape;
  return Array.isArray(target) && target.length >= 2 ? readers[0] : null;
}

/** A new model computing what `m` computes, with each LeakyReLU replaced by an equal PReLU. */
export function leakyAsPrelu(m: LayersModel): LayersModel {
  const moved = new Map<Layer, Layer>(); // Reshape → the LeakyReLU now applied after it
  for (const layer of m.layers) {
    if (layer.getClassName() !== 'LeakyReLU') continue;
    const rank = (layer.inboundNodes[0]?.inputTensors[0]?.shape ?? []).length;
    const reshape = rank === 2 ? reshapeAfter(m, layer) : null;
    if (reshape) moved.set(reshape, layer);
  }
  const skipped = new Set(moved.values());
  return rebuildModel(m, ({ layer, inputs }) => {
    if (skipped.has(layer)) return inputs[0];
    const leaky = moved.get(layer);
    if (leaky) {
      const copy = layers.reshape({
        targetShape: layer.getConfig().targetShape as number[],
        name: layer.name,
      });
      return prelu(leaky, applyOne(copy, inputs[0]));
    }
    return layer.getClassName() === 'LeakyReLU' ? prelu(layer, inputs[0]) : undefined;
  });
}
