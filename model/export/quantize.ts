import { setFloat16 } from '@petamoriken/float16';

export type Quantization = 'uint8' | 'float16' | 'float32';

/** The TF.js weights-manifest `quantization` field; TF.js dequantizes on load. */
export interface QuantizationSpec {
  dtype: 'uint8' | 'float16';
  scale?: number;
  min?: number;
  original_dtype: 'float32';
}

/**
 * Encodes one float32 tensor. uint8 is affine per tensor (v ≈ q·scale + min, error ≤ scale/2 =
 * (max − min)/510); float16 is IEEE half precision (relative error ≤ 2⁻¹¹); float32 is as is.
 */
export function quantize(
  values: Float32Array,
  q: Quantization,
): { bytes: Uint8Array; spec?: QuantizationSpec } {
  if (q === 'float32')
    return {
      bytes: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    };
  if (q === 'float16') {
    const bytes = new Uint8Array(values.length * 2);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      setFloat16(view, i * 2, v, true);
    });
    return { bytes, spec: { dtype: 'float16', original_dtype: 'float32' } };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error('quantize: non-finite weights');
  // A constant tensor still needs a non-zero scale; every code is then 0 and decodes to min.
  const scale = max > min ? (max - min) / 255 : 1;
  const bytes = Uint8Array.from(values, (v) => Math.round((v - min) / scale));
  return { bytes, spec: { dtype: 'uint8', scale, min, original_dtype: 'float32' } };
}
