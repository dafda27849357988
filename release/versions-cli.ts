// npm run rollback -- --version V [--target local|r2] [--persist-to DIR]
// npm run prune -- --keep K [--dry-run] [--target local|r2] [--persist-to DIR]
import { parseArgs } from 'node:util';
import { manifestSchema } from '../contract/index.ts';
import { DEFAULT_PERSIST_DIR } from './local-store.ts';
import { openStore } from './open-store.ts';
import type { ObjectStore } from './store.ts';
import { prune, rollback } from './versions.ts';

const command = process.argv[2];
let store: ObjectStore | undefined;
try {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      version: { type: 'string' },
      keep: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      target: { type: 'string' },
      'persist-to': { type: 'string', default: DEFAULT_PERSIST_DIR },
    },
  });
  if (command === 'rollback') {
    if (!values.version) throw new Error('--version is required (usage: npm run rollback -- --version V)');
    if (!manifestSchema.shape.version.safeParse(values.version).success)
      throw new Error(`--version '${values.version}' is not a version name (e.g. 20261127T160000Z-ab12cd34)`);
    store = await openStore(values.target, values['persist-to']);
    const m = await rollback(store, values.version, (l) => console.log(l));
    console.log(`latest.json now points to ${m.version} in ${store.description}`);
  } else if (command === 'prune') {
    const keep = Number(values.keep);
    if (!values.keep || !Number.isInteger(keep) || keep < 1)
      throw new Error(
        `--keep must be a whole number ≥ 1, got '${values.keep ?? ''}' (usage: npm run prune -- --keep K)`,
      );
    store = await openStore(values.target, values['persist-to']);
    const gone = await prune(store, keep, { dryRun: values['dry-run'], log: (l) => console.log(l) });
    console.log(
      `${values['dry-run'] ? 'would prune' : 'pruned'} ${gone.length} version(s); the promoted one is never pruned`,
    );
  } else {
    throw new Error(`unknown command '${command}' (rollback or prune)`);
  }
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await store?.close();
}
