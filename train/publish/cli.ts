// npm run publish -- --model DIR [--target local|r2] [--promote] [--persist-to .wrangler/state]
import { parseArgs } from 'node:util';
import { DEFAULT_PERSIST_DIR, openLocalStore } from './local-store.ts';
import { publishModel } from './publish.ts';
import type { ObjectStore } from './store.ts';

const usage = 'usage: npm run publish -- --model DIR [--target local] [--promote] [--persist-to DIR]';
let store: ObjectStore | undefined;
try {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      target: { type: 'string', default: 'local' },
      promote: { type: 'boolean', default: false },
      'persist-to': { type: 'string', default: DEFAULT_PERSIST_DIR },
    },
  });
  if (!values.model) throw new Error(`--model is required\n${usage}`);
  if (values.target !== 'local')
    throw new Error(
      `--target must be 'local' (R2 uploads come with the publishing issue), got '${values.target}'`,
    );
  store = await openLocalStore(values['persist-to']);
  console.log(`publishing ${values.model} to ${store.description}`);
  const manifest = await publishModel(store, values.model, {
    promote: values.promote,
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
