// tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad reads dy with the *input's* batch stride, so its
// gradient is wrong for every batch after the first (the GAN's UpSampling2D layers hit it). This is
// the exact adjoint of the cpu forward kernel: each dy pixel is added to the input pixel it was
// copied from, with the same source-index rule.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  type KernelConfig,
  type KernelFunc,
  ResizeNearestNeighborGrad,
  type ResizeNearestNeighborGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/** The source row/column the forward kernel copies output index `i` from. */
export function nearestSource(
  i: number,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): number {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const frac = (effIn / effOut) * (halfPixelCenters ? i + 0.5 : i);
  const src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  return halfPixelCenters ? Math.max(0, src) : src;
}

const resizeNearestNeighborGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const images = inputs.images as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { alignCorners, halfPixelCenters } = attrs as unknown as ResizeNearestNeighborGradAttrs;
  const cpu = backend as MathBackendCPU;
  const [batch, inH, inW, depth] = images.shape;
  const [, outH, outW] = dy.shape;
  const dyValues = cpu.data.get(dy.dataId).values as Float32Array;
  const dx = new Float32Array(batch * inH * inW * depth);
  const rows = Array.from({ length: outH }, (_, r) =>
    nearestSource(r, inH, outH, alignCorners, !!halfPixelCenters),
  );
  const cols = Array.from({ length: outW }, (_, c) =>
    nearestSource(c, inW, outW, alignCorners, !!halfPixelCenters),
  );
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const rowBase = (b * inH + rows[r]) * inW;
      for (let c = 0; c < outW; c++) {
        const base = (rowBase + cols[c]) * depth;
        for (let d = 0; d < depth; d++) dx[base + d] += dyValues[o++];
      }
    }
  }
  return cpu.makeTensorInfo(images.shape, 'float32', dx);
};

export const resizeNearestNeighborGradCpuConfig: KernelConfig = {
  kernelName: ResizeNearestNeighborGrad,
  backendName: 'cpu',
  kernelFunc: resizeNearestNeighborGrad,
};
