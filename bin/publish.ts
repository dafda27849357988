// npm run publish -- --model DIR [--target local|r2] [--promote] [--force] [--max-regression P]
//   [--persist-to .wrangler/state]. The target defaults to r2 when R2 credentials are set, else local.
import { choice, command, nonNegative, parse, run } from '../lib/command.ts';
import { DEFAULT_PERSIST_DIR } from '../release/local-store.ts';
import { openStore } from '../release/open-store.ts';
import { publishModel } from '../release/publish.ts';
import type { ObjectStore } from '../release/store.ts';

const program = command(
  'npm run publish --',
  'Upload an exported model to R2 (or the local R2), verifying every object; --promote makes it latest.',
)
  .requiredOption('--model <dir>', 'the exported model folder (required)')
  .addOption(
    choice('--target <name>', 'where to publish (default: r2 when R2_* are set, else local)', [
      'local',
      'r2',
    ]),
  )
  .option('--promote', 'point latest.json to this version, last', false)
  .option(
    '--force',
    'promote even when it is worse than the promoted model (else it is published, not promoted)',
    false,
  )
  .option(
    '--max-regression <p>',
    'publish without promoting a model more than p percent worse than the promoted one',
    nonNegative('--max-regression'),
    5,
  )
  .option('--persist-to <dir>', "the local R2's folder (wrangler's --persist-to)", DEFAULT_PERSIST_DIR);

interface PublishOptions {
  model: string;
  target?: 'local' | 'r2';
  promote: boolean;
  force: boolean;
  maxRegression: number;
  persistTo: string;
}

run(async () => {
  const o = parse<PublishOptions>(program);
  let store: ObjectStore | undefined;
  try {
    store = await openStore(o.target, o.persistTo);
    console.log(`publishing ${o.model} to ${store.description}`);
    const r = await publishModel(store, o.model, {
      promote: o.promote,
      force: o.force,
      maxRegression: o.maxRegression,
      log: (l) => console.log(l),
    });
    console.log(
      `published ${r.manifest.version}${r.promoted ? ' and promoted it' : ` (not promoted: ${r.notPromotedBecause}; --promote --force makes it latest)`}`,
    );
  } finally {
    await store?.close();
  }
});
