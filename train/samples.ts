import { PNG } from 'pngjs';

const SIZE = 28;
const GAP = 2;

/**
 * Tiles `rows × cols` 28×28 digits (values in [-1, 1], row-major, one after another) into one
 * grayscale PNG with a thin dark gap between digits.
 */
export function gridPng(images: Float32Array, rows: number, cols: number, scale = 2): Buffer {
  if (images.length !== rows * cols * SIZE * SIZE) {
    throw new Error(`gridPng: got ${images.length} values for a ${rows}x${cols} grid of 28x28 digits`);
  }
  const width = (cols * (SIZE + GAP) + GAP) * scale;
  const height = (rows * (SIZE + GAP) + GAP) * scale;
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const gray = new Uint8Array(width * height).fill(40);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (r * cols + c) * SIZE * SIZE;
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const v = images[base + y * SIZE + x];
          const byte = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
          const px = (GAP + c * (SIZE + GAP) + x) * scale;
          const py = (GAP + r * (SIZE + GAP) + y) * scale;
          for (let dy = 0; dy < scale; dy++)
            gray.fill(byte, (py + dy) * width + px, (py + dy) * width + px + scale);
        }
      }
    }
  }
  png.data = Buffer.from(gray);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
