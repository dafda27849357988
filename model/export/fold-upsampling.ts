// Folding a nearest-neighbour 2× upsampling into the convolution after it (a sub-pixel
// convolution), for inference. Each output pixel of conv(upsample(x)) at (2i + a, 2j + b) sees only
// x's pixels around (i, j), through a kernel that depends on the phase (a, b) alone: the k×k taps
// that land on the same input pixel add up. So one convolution on the small image with 4× the
// filters (one set per phase), rearranged depth-to-space, computes exactly the same. For the 5×5
// convolution of the `fast` presets that is a 3×3 one on a quarter of the pixels (2.8× fewer
// multiply-adds), and the upsampled copy of the activations is never made.
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, layers } from '@tensorflow/tfjs-layers';
import { applyOne, consumers, type LayerCall, rebuildModel } from './rebuild.ts';

type Layer = layers.Layer;

const same = (a: unknown, b: number[]) =>
  Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);

/** The Conv2D an upsampling can fold into, or null. */
function foldTarget(m: LayersModel, up: Layer): Layer | null {
  const u = up.getConfig();
  if (!same(u.size, [2, 2]) || u.interpolation !== 'nearest' || u.dataFormat !== 'channelsLast') return null;
  const { readers, isOutput } = consumers(m, up);
  if (isOutput || readers.length !== 1 || readers[0].getClassName() !== 'Conv2D') return null;
  const conv = readers[0];
  const c = conv.getConfig();
  const k = c.kernelSize;
  if (!Array.isArray(k) || k.length !== 2 || !k.every((v) => typeof v === 'number' && v % 2 === 1))
    return null;
  const [kh, kw] = k as number[];
  const plain =
    c.padding === 'same' &&
    c.dataFormat === 'channelsLast' &&
    same(c.strides, [1, 1]) &&
    same(c.dilationRate, [1, 1]);
  // Only where it saves multiply-adds: a (2R+1)² kernel on the small image against k² on the large
  // one (a 3×3 kernel would stay 3×3 with 4× the weights and the same work).
  return plain && smallSide(kh) * smallSide(kw) < kh * kw ? conv : null;
}

/** The small image's kernel side for a k-tap side on the large one: 2R + 1, R = ⌈(k − 1)/4⌉. */
const smallSide = (k: number) => 2 * Math.ceil((k - 1) / 4) + 1;

/**
 * The small image's kernel: for a k×k kernel (k = 2r + 1) the phase-a output row 2i + a reads
 * rows i + d, d = ⌊(a + t)/2⌋ for the taps t = −r…r, so d spans −R…R with R = ⌈r/2⌉. Output
 * channels are ordered (a, b, filter), the order depth-to-space reads them in.
 */
function phaseKernel(kernel: Float32Array, [kh, kw, cin, cout]: number[]) {
  const [rh, rw] = [(kh - 1) / 2, (kw - 1) / 2];
  const [Rh, Rw] = [Math.ceil(rh / 2), Math.ceil(rw / 2)];
  const [sh, sw] = [2 * Rh + 1, 2 * Rw + 1];
  const out = new Float64Array(sh * sw * cin * 4 * cout);
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 2; b++)
      for (let ty = -rh; ty <= rh; ty++)
        for (let tx = -rw; tx <= rw; tx++) {
          const dy = Math.floor((a + ty) / 2) + Rh;
          const dx = Math.floor((b + tx) / 2) + Rw;
          for (let i = 0; i < cin; i++)
            for (let o = 0; o < cout; o++) {
              const from = (((ty + rh) * kw + (tx + rw)) * cin + i) * cout + o;
              const to = ((dy * sw + dx) * cin + i) * 4 * cout + (a * 2 + b) * cout + o;
              out[to] += kernel[from];
            }
        }
  return { values: Float32Array.from(out), shape: [sh, sw, cin, 4 * cout] };
}

function rewrite(conv: Layer, x: LayerCall['inputs'][number]) {
  const [, h, w] = x.shape as number[];
  const c = conv.getConfig();
  const kernel = conv.weights.find((v) => v.originalName.endsWith('/kernel'))!;
  const bias = conv.weights.find((v) => v.originalName.endsWith('/bias'));
  const cout = Number(c.filters);
  const k = phaseKernel(kernel.read().dataSync<'float32'>(), kernel.shape as number[]);
  const small = layers.conv2d({
    filters: 4 * cout,
    kernelSize: [k.shape[0], k.shape[1]],
    padding: 'same',
    useBias: bias !== undefined,
    activation: c.activation as Parameters<typeof layers.conv2d>[0]['activation'],
    name: conv.name,
  });
  let y = applyOne(small, x);
  const weights: tf.Tensor[] = [tf.tensor4d(k.values, k.shape as [number, number, number, number])];
  if (bias) {
    // The same bias for every phase.
    const b = bias.read().dataSync<'float32'>();
    weights.push(tf.tensor1d(Float32Array.from({ length: 4 * cout }, (_, i) => b[i % cout])));
  }
  small.setWeights(weights);
  tf.dispose(weights);
  // Depth to space, rank 5 at most (a phase's columns and filters stay adjacent).
  y = applyOne(layers.reshape({ targetShape: [h, w, 2, 2 * cout], name: `${conv.name}_phases` }), y);
  y = applyOne(layers.permute({ dims: [1, 3, 2, 4], name: `${conv.name}_interleave` }), y);
  return applyOne(layers.reshape({ targetShape: [2 * h, 2 * w, cout], name: `${conv.name}_to_space` }), y);
}

/**
 * A new model computing what `m` computes, with each 2× nearest UpSampling2D that feeds only a
 * stride-1 'same' Conv2D with an odd kernel replaced by a sub-pixel convolution. Other layers
 * are copied.
 */
export function foldUpsampling(m: LayersModel): LayersModel {
  const targets = new Map<Layer, Layer>();
  for (const layer of m.layers) {
    if (layer.getClassName() !== 'UpSampling2D') continue;
    const conv = foldTarget(m, layer);
    if (conv) targets.set(conv, layer);
  }
  const folded = new Set(targets.values());
  return rebuildModel(m, ({ layer, inputs }) => {
    // The conv reads the upsampling's input directly: its placeholder is that input.
    if (folded.has(layer)) return inputs[0];
    return targets.has(layer) ? rewrite(layer, inputs[0]) : undefined;
  });
}
