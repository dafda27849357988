// The page's views, drawn in Node from the page's own latents (contract/latent.ts): what a visitor
// sees for a seed, to look at before a model ships. Same noise, same labels, same layout.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { filterStyleRows, type Latents, latents, styleLatents } from '../../contract/index.ts';
import type { Preset } from '../../train/models/presets.ts';
import { gridPng } from '../../train/samples.ts';

export interface View {
  /** File name stem, e.g. `any-seed-3`. */
  name: string;
  latents: Latents;
  rows: number;
  cols: number;
  /** Style grids: their seed, and the rows the style-row filter redrew (filteredViews). */
  styleSeed?: number;
  redrawn?: number[];
}

/** The views the digits issue names: 64 "any" at seeds 1–5, 16 × "8" at seed 1, the 10-row style grid at seeds 1–10. */
export function pageViews(preset: Preset): View[] {
  const dim = preset.latentDim;
  const views: View[] = [];
  for (let seed = 1; seed <= 5; seed++)
    views.push({
      name: `any-seed-${seed}`,
      latents: latents(seed, 64, dim, preset.classes, 'any'),
      rows: 8,
      cols: 8,
    });
  if (preset.classes > 0) {
    views.push({ name: 'eights-seed-1', latents: latents(1, 16, dim, preset.classes, 8), rows: 4, cols: 4 });
    for (let seed = 1; seed <= 10; seed++)
      views.push({
        name: `style-seed-${seed}`,
        latents: styleLatents(seed, 10, dim, preset.classes),
        rows: 10,
        cols: preset.classes,
        styleSeed: seed,
      });
  }
  return views;
}

/** The generator's n digits for latents (inference mode), values in [-1, 1]. */
export function drawLatents(generator: LayersModel, preset: Preset, l: Latents, n: number): Float32Array {
  return tf.tidy(() => {
    const z = tf.tensor2d(l.z, [n, preset.latentDim]);
    const inputs = l.labels ? [z, tf.tensor2d(Float32Array.from(l.labels), [n, 1])] : z;
    return (generator.predict(inputs) as tf.Tensor).dataSync<'float32'>();
  });
}

/** The generator's digits for a view (inference mode), values in [-1, 1]. */
export const drawView = (generator: LayersModel, preset: Preset, v: View): Float32Array =>
  drawLatents(generator, preset, v.latents, v.rows * v.cols);

/**
 * The views as the page draws them: the style grids' rows that the style-row filter
 * (contract/style-filter.ts, its classifier `filter`) reads badly get new noise, as on the page.
 */
export async function filteredViews(
  views: View[],
  generator: LayersModel,
  preset: Preset,
  filter: LayersModel,
): Promise<View[]> {
  const read = (l: Latents, n: number) => {
    const digits = drawLatents(generator, preset, l, n);
    return tf.tidy(() =>
      tf.logSoftmax(filter.predict(tf.tensor4d(digits, [n, 28, 28, 1])) as tf.Tensor).dataSync<'float32'>(),
    );
  };
  return Promise.all(
    views.map(async (v) => {
      if (v.styleSeed === undefined) return v;
      const base = latents(v.styleSeed, v.rows, preset.latentDim, 0, 'any').z;
      const f = await filterStyleRows(v.styleSeed, base, preset.latentDim, preset.classes, read);
      return { ...v, latents: f.latents, redrawn: f.redrawn };
    }),
  );
}

/** A view as the PNG the page would show (4× pixels, thin gaps). */
export const viewPng = (generator: LayersModel, preset: Preset, v: View): Buffer =>
  gridPng(drawView(generator, preset, v), v.rows, v.cols, 4);

/** A grey that shows as the grid's gaps (byte 40): the band between two models' digits. */
const BAND = 40 / 127.5 - 1;

/**
 * Two generators' digits for the same view side by side, `a` left and `b` right, a grey band between:
 * the same noise and labels, to compare by eye.
 */
export function sideBySidePng(a: LayersModel, b: LayersModel, preset: Preset, v: View): Buffer {
  const [da, db] = [drawView(a, preset, v), drawView(b, preset, v)];
  const digit = 28 * 28;
  const row = v.cols * digit;
  const cols = 2 * v.cols + 1;
  const out = new Float32Array(v.rows * cols * digit).fill(BAND);
  for (let r = 0; r < v.rows; r++) {
    out.set(da.subarray(r * row, (r + 1) * row), r * cols * digit);
    out.set(db.subarray(r * row, (r + 1) * row), (r * cols + v.cols + 1) * digit);
  }
  return gridPng(out, v.rows, cols, 4);
}
