// npm run grids -- --model DIR [--against DIR] [--raw] [--out DIR]
// The page's views of a model as PNGs, drawn from the page's own latents: 64 "any" at seeds 1–5,
// 16 × "8" at seed 1 and the 10-row style grid at seeds 1–10, its badly read rows redrawn as the
// page redraws them (contract/style-filter.ts; --raw: as the generator draws them). Look at them
// before shipping a model; --against draws another model's digits for the same noise beside each
// view (the candidate left, the other right; the style grids unfiltered, so both get the same
// noise), which is how a model is compared with the shipped one by eye.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { command, parse, run, UsageError } from '../lib/command.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { loadShippedClassifier } from '../model/classifier/classify.ts';
import { loadGenerator } from '../model/evaluate/evaluate.ts';
import { filteredViews, pageViews, sideBySidePng, viewPng } from '../model/evaluate/views.ts';
import { selectBackend } from '../train/backend.ts';

const program = command(
  'npm run grids --',
  "Draw the page's views of a model as PNGs, from the page's own latents.",
)
  .requiredOption('--model <dir>', 'an exported model (manifest.json) or a run folder (required)')
  .option('--against <dir>', "another model, drawn right of --model's digits for the same noise")
  .option('--raw', "the style grids as the generator draws them, without the page's style-row filter")
  .option('--out <dir>', 'folder for the PNGs', 'runs/grids');

run(async () => {
  const o = parse<{ model: string; against?: string; raw?: boolean; out: string }>(program);
  await selectBackend('wasm', false, () => {});
  const { generator, preset } = await loadGenerator(o.model);
  const other = o.against === undefined ? null : await loadGenerator(o.against);
  if (other && (other.preset.latentDim !== preset.latentDim || other.preset.classes !== preset.classes))
    throw new UsageError(
      `--against ${o.against}: a ${other.preset.name} model (noise of ${other.preset.latentDim}, ${other.preset.classes} classes) ` +
        `draws other digits for the page's latents than ${o.model}, a ${preset.name} model (${preset.latentDim}, ${preset.classes})`,
    );
  let views = pageViews(preset);
  if (!other && !o.raw && preset.classes > 0) {
    const filter = await loadShippedClassifier('filter');
    views = await filteredViews(views, generator, preset, filter);
    filter.dispose();
  }
  mkdirSync(o.out, { recursive: true });
  for (const v of views) {
    const file = join(o.out, `${v.name}.png`);
    if (v.redrawn?.length)
      console.log(`${v.name}: the style-row filter redrew row ${v.redrawn.map((r) => r + 1).join(', ')}`);
    writeFileAtomic(
      file,
      other ? sideBySidePng(generator, other.generator, preset, v) : viewPng(generator, preset, v),
    );
    console.log(file);
  }
  generator.dispose();
  other?.generator.dispose();
});
