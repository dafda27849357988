// The generator as the page runs it: the same function in inference mode with fewer ops and
// weights. Each step is exact up to float rounding and leaves models it does not apply to as they
// were, so folding an exported (already folded) model changes nothing.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { foldBatchNorm } from './fold-batchnorm.ts';
import { foldClassEmbedding } from './fold-class-embedding.ts';
import { foldUpsampling } from './fold-upsampling.ts';
import { leakyAsPrelu } from './leaky-as-prelu.ts';
import { tanhAsSigmoid } from './tanh-as-sigmoid.ts';

/**
 * In order: BatchNorm into the layer before it, then the class embedding, then upsampling; last,
 * LeakyReLU and tanh as kernels tfjs's WASM backend runs faster (PReLU; sigmoid and a rescaling).
 */
const STEPS: ((m: LayersModel) => LayersModel)[] = [
  foldBatchNorm,
  foldClassEmbedding,
  foldUpsampling,
  leakyAsPrelu,
  tanhAsSigmoid,
];

/** A new model for inference (the caller disposes it; `m` is left as it was). */
export function inferenceModel(m: LayersModel): LayersModel {
  let current = m;
  for (const step of STEPS) {
    const next = step(current);
    if (current !== m) current.dispose();
    current = next;
  }
  return current;
}
