// The page's app icons (web/public/icons): a digit the shipped generator drew, white ink on the
// page's dark theme colour, pixelated like the page shows it. Run once when the model changes
// enough to matter: node --import tsx bin/page-icons.ts (ICON_SEED=n tries another draw). The
// committed icons are the 8,000-step model's "7" at seed 3; its R1 successor's 7s at seeds 1–4 made
// weaker icons (thin, hooked strokes), so they stay.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { latents, manifestSchema } from '../contract/index.ts';
import { loadLayersModelFromDir } from '../model/model-io.ts';

const MODEL = 'model/shipped';
const OUT = 'web/public/icons';
const BACKGROUND = [0x1f, 0x29, 0x37]; // the manifest's theme_color
const SEED = Number(process.env.ICON_SEED ?? 3);
const DIGIT = 7;

/** A size × size RGB icon with the 28×28 digit scaled by whole pixels, centred in `inner` of it. */
function icon(digit: Float32Array, size: number, inner: number): Buffer {
  const scale = Math.floor((size * inner) / 28);
  const off = Math.floor((size - 28 * scale) / 2);
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = Math.floor((x - off) / scale);
      const dy = Math.floor((y - off) / scale);
      const inside = x >= off && y >= off && dx < 28 && dy < 28;
      const ink = inside ? (Math.max(-1, Math.min(1, digit[dy * 28 + dx])) + 1) / 2 : 0;
      const o = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) png.data[o + c] = Math.round(BACKGROUND[c] + ink * (255 - BACKGROUND[c]));
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));
  const model = await loadLayersModelFromDir(MODEL);
  const l = latents(SEED, 1, manifest.latentDim, manifest.classes, DIGIT);
  const digit = tf.tidy(() => {
    const z = tf.tensor2d(l.z, [1, manifest.latentDim]);
    const inputs = l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [1, 1])] : z;
    return (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'icon-192.png'), icon(digit, 192, 0.9));
  writeFileSync(join(OUT, 'icon-512.png'), icon(digit, 512, 0.9));
  // Maskable: the platform may crop to a circle of 80 %; keep the digit inside it.
  writeFileSync(join(OUT, 'maskable-512.png'), icon(digit, 512, 0.6));
  console.log(`wrote ${OUT}/icon-192.png, icon-512.png, maskable-512.png (digit ${DIGIT}, seed ${SEED})`);
}

await main();
