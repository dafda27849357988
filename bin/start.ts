// npm start: the product on this machine, with nothing to train first. Builds the page, puts the
// shipped model into the local R2 when no model is promoted there yet, runs the worker offline and
// prints its URL. Ctrl-C stops everything it started.
import { execFileSync } from 'node:child_process';
import { r2Keys } from '../contract/index.ts';
import { command, integer, parse, run } from '../lib/command.ts';
import { DEFAULT_PERSIST_DIR, openLocalStore } from '../release/local-store.ts';
import { startLocalWorker } from '../release/local-worker.ts';
import { publishModel } from '../release/publish.ts';

const SHIPPED = 'model/shipped';

const program = command(
  'npm start --',
  'Serve the page and the shipped model locally (the worker through wrangler, offline) and print the URL.',
)
  .option('--port <n>', 'the port to serve on', integer('--port', 1, 65535), 8787)
  .option('--persist-to <dir>', "the local R2's folder (wrangler's --persist-to)", DEFAULT_PERSIST_DIR)
  .option('--watch', 'rebuild and reload the worker when its source changes (development)', false);

run(async () => {
  const o = parse<{ port: number; persistTo: string; watch: boolean }>(program);
  console.log('building the page …');
  execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
  const store = await openLocalStore(o.persistTo);
  try {
    if (await store.get(r2Keys.latest)) {
      console.log(`a model is already promoted in ${store.description}; serving it`);
    } else {
      const { manifest } = await publishModel(store, SHIPPED, { promote: true });
      console.log(`seeded ${store.description} with the shipped model ${manifest.version}`);
    }
  } finally {
    await store.close();
  }
  console.log('starting the worker (wrangler, local, offline) …');
  const worker = await startLocalWorker({ persistDir: o.persistTo, port: o.port, watch: o.watch });
  console.log(`\n  MNIST on-device GAN: ${worker.url}/\n  API: ${worker.url}/v1/model\n\nCtrl-C stops it.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping …');
    await worker.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
});
