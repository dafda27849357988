// npm run bench:style-filter -- [--model model/shipped] [--grids 200]
//
// The page's style-row filter (contract/style-filter.ts) on a model's style grids at seeds 1001 on:
// how its rows score, how many it redraws and at how many reads, and how the evaluator's two
// classifiers (which the filter never saw) read the redrawn rows before and after.
// docs/training.md, "The style-row filter", has the numbers.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  filterStyleRows,
  type Latents,
  latents,
  rowScores,
  STYLE_FILTER,
  styleRows,
} from '../../contract/index.ts';
import { command, integer, parseOrExit } from '../../lib/command.ts';
import { loadShippedClassifier } from '../../model/classifier/classify.ts';
import { loadGenerator } from '../../model/evaluate/evaluate.ts';
import { drawLatents } from '../../model/evaluate/views.ts';
import { selectBackend } from '../../train/backend.ts';

const ROWS = 10;
const o = parseOrExit<{ model: string; grids: number }>(
  command('npm run bench:style-filter --', "The page's style-row filter on a model's style grids.")
    .option('--model <dir>', 'an exported model or a run folder', 'model/shipped')
    .option('--grids <n>', '10-row style grids to filter, seeds 1001 on', integer('--grids', 1), 200),
);

await selectBackend('wasm', false, () => {});
const { generator, preset } = await loadGenerator(o.model);
if (preset.classes === 0) throw new Error(`${o.model}: a style grid needs a conditional model`);
const [filter, mlp, cnn] = await Promise.all(
  (['filter', 'mlp', 'cnn'] as const).map((arch) => loadShippedClassifier(arch)),
);
const dim = preset.latentDim;
const logProbs = (c: LayersModel, l: Latents, n: number) => {
  const digits = drawLatents(generator, preset, l, n);
  return tf.tidy(() =>
    tf.logSoftmax(c.predict(tf.tensor4d(digits, [n, 28, 28, 1])) as tf.Tensor).dataSync<'float32'>(),
  );
};

const firstScores: number[] = [];
const moved = { mlp: [] as [number, number][], cnn: [] as [number, number][] };
let [redrawn, reads] = [0, 0];
const started = performance.now();
for (let seed = 1001; seed < 1001 + o.grids; seed++) {
  const base = latents(seed, ROWS, dim, 0, 'any').z;
  let first = true;
  const f = await filterStyleRows(seed, base, dim, preset.classes, (l, n) => {
    const lp = logProbs(filter, l, n);
    if (first) firstScores.push(...rowScores(lp, ROWS, preset.classes));
    first = false;
    reads += n / preset.classes;
    return lp;
  });
  redrawn += f.redrawn.length;
  if (!f.redrawn.length) continue;
  const raw = styleRows(base, ROWS, dim, preset.classes);
  for (const [name, c] of [
    ['mlp', mlp],
    ['cnn', cnn],
  ] as const) {
    const n = ROWS * preset.classes;
    const [before, after] = [raw, f.latents].map((l) => rowScores(logProbs(c, l, n), ROWS, preset.classes));
    for (const r of f.redrawn) moved[name].push([before[r], after[r]]);
  }
}

const rows = o.grids * ROWS;
const sorted = [...firstScores].sort((a, b) => a - b);
const pct = (p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(3);
const mean = (xs: number[]) => (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(3);
console.log(
  `${o.model}: ${rows} rows (style grids at seeds 1001–${1000 + o.grids}), filter threshold ${STYLE_FILTER.threshold}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
console.log(
  `the filter's row scores: 1st percentile ${pct(1)}, 2nd ${pct(2)}, 5th ${pct(5)}, median ${pct(50)}`,
);
console.log(
  `redrawn: ${redrawn} rows (${((100 * redrawn) / rows).toFixed(2)} %), ${(reads / rows).toFixed(3)} row reads per row`,
);
for (const name of ['mlp', 'cnn'] as const) {
  const m = moved[name];
  if (!m.length) continue;
  console.log(
    `the redrawn rows by the ${name} (mean log-probability of the asked digit): ${mean(m.map(([b]) => b))} → ${mean(m.map(([, a]) => a))}, better in ${m.filter(([b, a]) => a > b).length} of ${m.length}`,
  );
}
generator.dispose();
