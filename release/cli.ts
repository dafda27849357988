// npm run publish -- --model DIR [--target local|r2] [--promote] [--force] [--max-regression P]
//   [--persist-to .wrangler/state]. The target defaults to r2 when R2 credentials are set, else local.
import { parseArgs } from 'node:util';
import { DEFAULT_PERSIST_DIR } from './local-store.ts';
import { openStore } from './open-store.ts';
import { publishModel } from './publish.ts';
import type { ObjectStore } from './store.ts';

const usage =
  'usage: npm run publish -- --model DIR [--target local|r2] [--promote] [--force] [--max-regression 5] [--persist-to DIR]';
let store: ObjectStore | undefined;
try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      target: { type: 'string' },
      promote: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      'max-regression': { type: 'string', default: '5' },
      'persist-to': { type: 'string', default: DEFAULT_PERSIST_DIR },
    },
  });
  if (!values.model) throw new Error(`--model is required\n${usage}`);
  const maxRegression = Number(values['max-regression']);
  if (!Number.isFinite(maxRegression) || maxRegression < 0)
    throw new Error(`--max-regression must be a non-negative number, got '${values['max-regression']}'`);
  store = await openStore(values.target, values['persist-to']);
  console.log(`publishing ${values.model} to ${store.description}`);
  const manifest = await publishModel(store, values.model, {
    promote: values.promote,
    force: values.force,
    maxRegression,
    log: (l) => console.log(l),
  });
  console.log(
    `published ${manifest.version}${values.promote ? ' and promoted it' : ' (not promoted; --promote makes it latest)'}`,
  );
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await store?.close();
}
