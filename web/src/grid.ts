// Draws n 28×28 digits as a grid on a canvas at their native resolution (CSS scales it up with
// crisp pixels), dark ink on white like a written digit. One canvas pixel is one model pixel, so
// the drawing can be read back and compared with other runs.

export const SIZE = 28;

export function gridShape(n: number): { cols: number; rows: number } {
  const cols = Math.ceil(Math.sqrt(n));
  return { cols, rows: Math.ceil(n / cols) };
}

/** A model value in [-1, 1] (1 = ink) as a gray level, 255 = paper. */
export const gray = (v: number) => 255 - Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * 255);

export function drawGrid(canvas: HTMLCanvasElement, pixels: Float32Array, n: number): void {
  const { cols, rows } = gridShape(n);
  canvas.width = cols * SIZE;
  canvas.height = rows * SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * SIZE;
    const y0 = Math.floor(k / cols) * SIZE;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const g = gray(pixels[k * SIZE * SIZE + y * SIZE + x]);
        const o = ((y0 + y) * canvas.width + x0 + x) * 4;
        img.data[o] = g;
        img.data[o + 1] = g;
        img.data[o + 2] = g;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** The grid as a PNG file download, scaled up so it is useful outside the page. */
export async function downloadPng(canvas: HTMLCanvasElement, name: string, scale = 4): Promise<void> {
  const big = document.createElement('canvas');
  big.width = canvas.width * scale;
  big.height = canvas.height * scale;
  const ctx = big.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, big.width, big.height);
  const blob = await new Promise<Blob | null>((r) => big.toBlob(r, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
