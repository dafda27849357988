// npm run rollback -- --version V [--target local|r2] [--persist-to DIR]
// npm run prune -- --keep K [--dry-run] [--target local|r2] [--persist-to DIR]
import { type Command, InvalidArgumentError } from 'commander';
import { isVersion } from '../contract/index.ts';
import { choice, command, integer, run } from '../lib/command.ts';
import { DEFAULT_PERSIST_DIR } from '../release/local-store.ts';
import { openStore } from '../release/open-store.ts';
import type { ObjectStore } from '../release/store.ts';
import { prune, rollback } from '../release/versions.ts';

interface StoreOptions {
  target?: 'local' | 'r2';
  persistTo: string;
}

/** The store's options, on each subcommand (npm runs `rollback` and `prune` as their own scripts). */
const withStore = (cmd: Command): Command =>
  cmd
    .addOption(
      choice('--target <name>', 'the store (default: r2 when R2_* are set, else local)', ['local', 'r2']),
    )
    .option('--persist-to <dir>', "the local R2's folder (wrangler's --persist-to)", DEFAULT_PERSIST_DIR);

/** Opens the store the options name, runs `work` on it and closes it, whatever happens. */
async function withOpenStore(o: StoreOptions, work: (store: ObjectStore) => Promise<void>): Promise<void> {
  const store = await openStore(o.target, o.persistTo);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

const versionName = (v: string): string => {
  if (!isVersion(v))
    throw new InvalidArgumentError(`--version '${v}' is not a version name (e.g. 20261127T160000Z-ab12cd34)`);
  return v;
};

const program = command('npm run', 'Roll back to or prune the published model versions.').usage(
  'rollback|prune -- [options]',
);
withStore(
  program
    .command('rollback')
    .usage('-- --version V [options]')
    .description('Point latest.json to a published version, after verifying its files.')
    .requiredOption('--version <v>', 'the version to promote again (required)', versionName),
).action((o: StoreOptions & { version: string }) =>
  withOpenStore(o, async (store) => {
    const m = await rollback(store, o.version, (l) => console.log(l));
    console.log(`latest.json now points to ${m.version} in ${store.description}`);
  }),
);
withStore(
  program
    .command('prune')
    .usage('-- --keep K [options]')
    .description('Delete all but the newest K versions; the promoted one is always kept.')
    .requiredOption('--keep <k>', 'how many of the newest versions to keep (required)', integer('--keep', 1))
    .option('--dry-run', 'only list what would be deleted', false),
).action((o: StoreOptions & { keep: number; dryRun: boolean }) =>
  withOpenStore(o, async (store) => {
    const gone = await prune(store, o.keep, { dryRun: o.dryRun, log: (l) => console.log(l) });
    console.log(
      `${o.dryRun ? 'would prune' : 'pruned'} ${gone.length} version(s); the promoted one is never pruned`,
    );
  }),
);

run(async () => {
  await program.parseAsync(process.argv);
});
