// Conv2DBackpropFilter for the wasm backend, which ships without one (conv nets cannot train on it).
// The filter gradient is itself a convolution, so we express it as one call to wasm's XNNPACK Conv2D:
//   dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh+kh-pt, ow*sw+kw-pl, ci] * dy[b,oh,ow,co]
// with input x' = x^T[Ci,H,W,B], filter dy' = dy^T[OH,OW,B,Co], stride 1, dilation = the forward stride.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { runWasm } from './wasm-call.ts';

export function conv2DBackpropFilterWasm(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat !== 'NHWC') {
    throw new Error(`wasm Conv2DBackpropFilter supports only dataFormat 'NHWC', got '${dataFormat}'`);
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error('wasm Conv2DBackpropFilter supports only float32 tensors');
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const [, dyH, dyW, dyC] = dy.shape;
  if (dyH !== outHeight || dyW !== outWidth || dyC !== outChannels || dy.shape[0] !== batchSize) {
    throw new Error(`Conv2DBackpropFilter: dy shape ${dy.shape} does not match conv output ${info.outShape}`);
  }
  // Bottom/right padding that makes the output exactly filterHeight x filterWidth. A negative value means
  // the last rows/cols of x are never read by the forward conv, so we drop them instead.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;

  const temps: TensorInfo[] = [];
  try {
    let xT = runWasm('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
    temps.push(xT);
    if (padBottom < 0 || padRight < 0) {
      xT = runWasm(
        'Slice',
        backend,
        { x: xT },
        {
          begin: [0, 0, 0, 0],
          size: [inChannels, inHeight + Math.min(0, padBottom), inWidth + Math.min(0, padRight), batchSize],
        },
      );
      temps.push(xT);
    }
    const dyT = runWasm('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(dyT);
    const conv = runWasm(
      'Conv2D',
      backend,
      { x: xT, filter: dyT },
      {
        strides: [1, 1],
        dilations: [strideHeight, strideWidth],
        pad: [
          [0, 0],
          [padTop, Math.max(0, padBottom)],
          [padLeft, Math.max(0, padRight)],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    temps.push(conv);
    // [Ci,KH,KW,Co] -> [KH,KW,Ci,Co]
    return runWasm('Transpose', backend, { x: conv }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
