// npm run grids -- --model DIR [--out DIR]
// The page's views of a model as PNGs, drawn from the page's own latents: 64 "any" at seeds 1–5,
// 16 × "8" at seed 1 and the 10-row style grid at seeds 1–10. Look at them before shipping a model;
// two models' folders side by side compare the same noise.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { command, parse, run } from '../lib/command.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { loadGenerator } from '../model/evaluate/evaluate.ts';
import { pageViews, viewPng } from '../model/evaluate/views.ts';
import { selectBackend } from '../train/backend.ts';

const program = command(
  'npm run grids --',
  "Draw the page's views of a model as PNGs, from the page's own latents.",
)
  .requiredOption('--model <dir>', 'an exported model (manifest.json) or a run folder (required)')
  .option('--out <dir>', 'folder for the PNGs', 'runs/grids');

run(async () => {
  const o = parse<{ model: string; out: string }>(program);
  await selectBackend('wasm', false, () => {});
  const { generator, preset } = await loadGenerator(o.model);
  mkdirSync(o.out, { recursive: true });
  for (const v of pageViews(preset)) {
    const file = join(o.out, `${v.name}.png`);
    writeFileAtomic(file, viewPng(generator, preset, v));
    console.log(file);
  }
  generator.dispose();
});
