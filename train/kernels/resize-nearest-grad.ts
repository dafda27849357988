// ResizeNearestNeighborGrad for wasm. The UpSampling2D layers of the `fast` generators resize by an
// exact integer factor, where the gradient is a plain block sum: dx[b,i,j,c] = Σ dy[b, fh·i+a,
// fw·j+d, c]. One pass over dy in JS, straight on the wasm heap, beats both wasm's own kernel (it
// searches a window per input pixel, ~27 ms on [64, 28, 28, 32]) and a Reshape+Sum (which
// transposes). Other cases still go to the original kernel.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type {
  KernelConfig,
  KernelFunc,
  ResizeNearestNeighborGradAttrs,
  TensorInfo,
} from '@tensorflow/tfjs-core';

export function makeResizeNearestNeighborGradConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const images = args.inputs.images as TensorInfo;
    const dy = args.inputs.dy as TensorInfo;
    const { alignCorners, halfPixelCenters } = args.attrs as unknown as ResizeNearestNeighborGradAttrs;
    const [batch, h, w, c] = images.shape;
    const [, oh, ow] = dy.shape;
    const fh = oh / h;
    const fw = ow / w;
    const blockSum =
      !alignCorners &&
      !halfPixelCenters &&
      Number.isInteger(fh) &&
      Number.isInteger(fw) &&
      dy.dtype === 'float32';
    if (!blockSum) return original.kernelFunc(args);
    const backend = args.backend as BackendWasm;
    // Allocate first: growing the wasm heap detaches views taken before.
    const out = backend.makeOutput(images.shape, 'float32');
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    const src = backend.typedArrayFromHeap(dy) as Float32Array;
    dst.fill(0);
    let s = 0;
    for (let r = 0; r < batch * oh; r++) {
      const rowBase = (Math.floor(r / oh) * h + Math.floor((r % oh) / fh)) * w * c;
      for (let col = 0; col < ow; col++) {
        const base = rowBase + Math.floor(col / fw) * c;
        for (let k = 0; k < c; k++) dst[base + k] += src[s++];
      }
    }
    return out;
  };
  return { ...original, kernelFunc };
}
