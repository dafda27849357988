// Conv2DBackpropInput for the wasm backend (the Conv2D input gradient and the Conv2DTranspose forward).
// Stock wasm runs a naive scalar loop. We use XNNPACK instead, two ways:
//
// Sub-pixel (default): the transposed conv splits exactly into sh*sw stride-1 convolutions, one per
// output position modulo the strides ("phase"), interleaved afterwards. Per spatial axis (stride s,
// pad-before p, filter K): for dx index i with i+p = q*s + r,
//   dx[i] = sum_m dy[q-m] * W[r + s*m]   (m over taps with r + s*m < K)
// so phase a = i mod s is a 'valid' correlation of a window of dy with W[r::s] flipped.
//
// GEMM + col2im (few input channels): each phase conv would have Ci output channels, and XNNPACK's GEMM
// tiles pad the output channels up to a multiple of 8, so for Ci = 1 (the image layer) most of the work is
// wasted. There, cols = dy[B*OH*OW, Co] x W^T[Co, KH*KW*Ci] is one matmul and a JS loop adds the columns
// back into dx.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type Conv2DBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { runWasm } from './wasm-call.ts';

type Args = { inputs: Conv2DBackpropInputInputs; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs };

/**
 * Input-channel count up to which the GEMM + col2im path is used (measured: Ci = 1 is ~4x faster
 * that way; from Ci = 8 on the sub-pixel convs win). Mutable so tests and benchmarks can force a path.
 */
export const conv2DBackpropInputTuning = { col2imMaxInChannels: 4 };

/** How one phase reads dy along one axis. */
export interface AxisPhase {
  /** First filter index used by this phase (r in the formula). */
  r: number;
  /** Number of filter taps W[r], W[r+s], ... (0 when K <= r: the phase is all zeros). */
  taps: number;
  /** dy window [lo, hi) actually read; padBefore/padAfter zeros complete it to n + taps - 1. */
  lo: number;
  hi: number;
  padBefore: number;
  padAfter: number;
}

/** Phase a of an axis with stride s, pad-before p, filter k, dy length dyLen and n outputs per phase. */
export function axisPhase(a: number, s: number, p: number, k: number, dyLen: number, n: number): AxisPhase {
  const r = (((a + p) % s) + s) % s;
  const q0 = Math.floor((a + p) / s);
  const taps = r < k ? Math.ceil((k - r) / s) : 0;
  const start = q0 - taps + 1;
  const end = start + n + taps - 1;
  const lo = Math.min(Math.max(start, 0), dyLen);
  const hi = Math.min(Math.max(end, 0), dyLen);
  return { r, taps, lo, hi, padBefore: lo - start, padAfter: end - hi };
}

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  // The wasm heap is not zeroed on allocation.
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}

/**
 * Builds the stride-1 conv filter of one phase, [Th,Tw,Co,Ci], from wT = filter transposed to
 * [KH,KW,Co,Ci]: V[jh,jw] = wT[rh + sh*(Th-1-jh), rw + sw*(Tw-1-jw)] (sub-sampled and flipped).
 */
function phaseFilter(
  backend: BackendWasm,
  wT: TensorInfo,
  ph: AxisPhase,
  pw: AxisPhase,
  sh: number,
  sw: number,
): TensorInfo {
  const [, kw, co, ci] = wT.shape;
  const block = co * ci;
  const out = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
  // Views are taken after the allocation: growing the heap detaches earlier views.
  const src = backend.typedArrayFromHeap(wT);
  const dst = backend.typedArrayFromHeap(out);
  for (let jh = 0; jh < ph.taps; jh++) {
    const khIdx = ph.r + sh * (ph.taps - 1 - jh);
    for (let jw = 0; jw < pw.taps; jw++) {
      const kwIdx = pw.r + sw * (pw.taps - 1 - jw);
      const from = (khIdx * kw + kwIdx) * block;
      dst.set(src.subarray(from, from + block), (jh * pw.taps + jw) * block);
    }
  }
  return out;
}

function subPixel(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth } = info;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const [, dyH, dyW] = dy.shape;
  const n = Math.ceil(inHeight / sh);
  const m = Math.ceil(inWidth / sw);
  const temps: TensorInfo[] = [];
  try {
    const wT = runWasm('Transpose', backend, { x: filter }, { perm: [0, 1, 3, 2] });
    temps.push(wT);
    const phases: TensorInfo[] = [];
    for (let ah = 0; ah < sh; ah++) {
      const ph = axisPhase(ah, sh, info.padInfo.top, filterHeight, dyH, n);
      for (let aw = 0; aw < sw; aw++) {
        const pw = axisPhase(aw, sw, info.padInfo.left, filterWidth, dyW, m);
        let out: TensorInfo;
        if (ph.taps === 0 || pw.taps === 0 || ph.hi <= ph.lo || pw.hi <= pw.lo) {
          out = zeros(backend, [batchSize, n, m, inChannels]);
        } else {
          let window = dy;
          if (ph.lo > 0 || ph.hi < dyH || pw.lo > 0 || pw.hi < dyW) {
            window = runWasm(
              'Slice',
              backend,
              { x: dy },
              { begin: [0, ph.lo, pw.lo, 0], size: [batchSize, ph.hi - ph.lo, pw.hi - pw.lo, outChannels] },
            );
            temps.push(window);
          }
          const v = phaseFilter(backend, wT, ph, pw, sh, sw);
          temps.push(v);
          out = runWasm(
            'Conv2D',
            backend,
            { x: window, filter: v },
            {
              strides: [1, 1],
              dilations: [1, 1],
              pad: [
                [0, 0],
                [ph.padBefore, ph.padAfter],
                [pw.padBefore, pw.padAfter],
                [0, 0],
              ],
              dataFormat: 'NHWC',
            },
          );
        }
        phases.push(out);
        temps.push(out);
      }
    }
    let full: TensorInfo;
    if (phases.length === 1) {
      // Stride 1: the single phase is already [B,H,W,Ci].
      full = phases[0];
      temps.pop();
    } else {
      // Channels of the concat are (ah, aw, ci). Interleave with one 4-D transpose rather than wasm's
      // DepthToSpace (~50x slower here, and limited to equal strides):
      // [B*n, m, sh, sw*Ci] -> [B*n, sh, m, sw*Ci], which is [B, n*sh, m*sw, Ci] in memory.
      const stacked = runWasm('Concat', backend, phases as unknown as NamedTensorInfoMap, { axis: 3 });
      temps.push(stacked);
      const grid = runWasm(
        'Reshape',
        backend,
        { x: stacked },
        { shape: [batchSize * n, m, sh, sw * inChannels] },
      );
      temps.push(grid);
      const interleaved = runWasm('Transpose', backend, { x: grid }, { perm: [0, 2, 1, 3] });
      temps.push(interleaved);
      full = runWasm(
        'Reshape',
        backend,
        { x: interleaved },
        { shape: [batchSize, n * sh, m * sw, inChannels] },
      );
    }
    if (n * sh === inHeight && m * sw === inWidth) return full;
    temps.push(full);
    return runWasm(
      'Slice',
      backend,
      { x: full },
      { begin: [0, 0, 0, 0], size: [batchSize, inHeight, inWidth, inChannels] },
    );
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

function col2im(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const rows = batchSize * outHeight * outWidth;
  const colWidth = filterHeight * filterWidth * inChannels;
  // cols[row, (kh,kw,ci)] = sum_co dy[row, co] * W[kh,kw,ci,co]; transposeB goes through our BatchMatMul.
  const a = runWasm('Reshape', backend, { x: dy }, { shape: [1, rows, outChannels] });
  const b = runWasm('Reshape', backend, { x: filter }, { shape: [1, colWidth, outChannels] });
  let cols: TensorInfo;
  try {
    cols = runWasm('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: true });
  } finally {
    backend.disposeData(a.dataId);
    backend.disposeData(b.dataId);
  }
  try {
    const out = zeros(backend, [batchSize, inHeight, inWidth, inChannels]);
    // Views after the last allocation (heap growth detaches views).
    const src = backend.typedArrayFromHeap(cols);
    const dx = backend.typedArrayFromHeap(out);
    const rowStride = inWidth * inChannels;
    const kwStride = inChannels;
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          let c = ((b * outHeight + oh) * outWidth + ow) * colWidth;
          for (let kh = 0; kh < filterHeight; kh++) {
            const ih = oh * strideHeight + kh - padTop;
            if (ih < 0 || ih >= inHeight) {
              c += filterWidth * inChannels;
              continue;
            }
            const rowBase = (b * inHeight + ih) * rowStride;
            for (let kw = 0; kw < filterWidth; kw++) {
              const iw = ow * strideWidth + kw - padLeft;
              if (iw < 0 || iw >= inWidth) {
                c += inChannels;
                continue;
              }
              let d = rowBase + iw * kwStride;
              for (let ci = 0; ci < inChannels; ci++) dx[d++] += src[c++];
            }
          }
        }
      }
    }
    return out;
  } finally {
    backend.disposeData(cols.dataId);
  }
}

export function makeConv2DBackpropInputKernel(original: KernelFunc): KernelFunc {
  function conv2DBackpropInputWasm(args: Args): TensorInfo {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const info = backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    // NCHW (which wasm's Conv2D cannot run) and non-float inputs stay with the stock kernel.
    if (info.dataFormat !== 'channelsLast' || dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      return original(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    }
    return info.inChannels <= conv2DBackpropInputTuning.col2imMaxInChannels
      ? col2im(backend, dy, filter, info)
      : subPixel(backend, dy, filter, info);
  }
  return conv2DBackpropInputWasm as unknown as KernelFunc;
}

/** Config replacing wasm's kernel; keeps the original setupFunc so a backend re-init still wires it up. */
export function makeConv2DBackpropInputConfig(original: KernelConfig): KernelConfig {
  // Same name, backend and setupFunc (a backend re-init still wires it up); our kernelFunc.
  return { ...original, kernelFunc: makeConv2DBackpropInputKernel(original.kernelFunc) };
}
