// n 28×28 digits as one RGBA image at their native resolution (the page scales it up with crisp
// pixels), dark ink on white like a written digit. One image pixel is one model pixel, so the
// drawing can be read back and compared with other runs.

export const SIZE = 28;

/** The squarest grid for n digits. */
export function gridShape(n: number, cols = Math.ceil(Math.sqrt(n))): { cols: number; rows: number } {
  return { cols, rows: Math.ceil(n / cols) };
}

/** A model value in [-1, 1] (1 = ink) as a gray level, 255 = paper. */
export const gray = (v: number) => 255 - Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * 255);

export function gridImage(
  pixels: Float32Array,
  n: number,
  cols = gridShape(n).cols,
): { rgba: Uint8ClampedArray<ArrayBuffer>; width: number; height: number } {
  const { rows } = gridShape(n, cols);
  const width = cols * SIZE;
  const height = rows * SIZE;
  const rgba = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * SIZE;
    const y0 = Math.floor(k / cols) * SIZE;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const g = gray(pixels[k * SIZE * SIZE + y * SIZE + x]);
        const o = ((y0 + y) * width + x0 + x) * 4;
        rgba[o] = g;
        rgba[o + 1] = g;
        rgba[o + 2] = g;
      }
    }
  }
  return { rgba, width, height };
}
