/** The drawn grid as a PNG file download, scaled up so it is useful outside the page. */
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
