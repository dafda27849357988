// A convolution's tanh as 2·sigmoid(2x) − 1, for inference: the same function (up to float
// rounding), other kernels. tfjs's WASM backend runs Tanh as a scalar loop on one thread, Sigmoid
// through XNNPACK on every thread; the doubling folds into the kernel and bias (exact in float), and
// the affine step is a Rescaling layer (two threaded elementwise kernels). On the page's 64 digits
// that was 0.6 ms of Tanh against about 0.15 ms for the three (`npm run bench:web`'s kernel table).
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, layers } from '@tensorflow/tfjs-layers';
import { applyOne, layerFromConfig, rebuildModel } from './rebuild.ts';

/** A new model computing what `m` computes, with each Conv2D's tanh replaced as above. */
export function tanhAsSigmoid(m: LayersModel): LayersModel {
  return rebuildModel(m, ({ layer, inputs }) => {
    const config = layer.getConfig();
    if (layer.getClassName() !== 'Conv2D' || config.activation !== 'tanh') return undefined;
    const conv = layerFromConfig(layer, { ...config, activation: 'sigmoid' });
    const y = applyOne(conv, inputs[0]);
    const doubled = layer.getWeights().map((w) => tf.mul(w, 2));
    conv.setWeights(doubled);
    tf.dispose(doubled);
    return applyOne(layers.rescaling({ scale: 2, offset: -1, name: `${layer.name}_tanh` }), y);
  });
}
