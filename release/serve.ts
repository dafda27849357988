// npm start: the product on this machine, with nothing to train first. Builds the page, puts the
// shipped model into the local R2 when no model is promoted there yet, runs the worker offline and
// prints its URL. Ctrl-C stops everything it started.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { r2Keys } from '../contract/index.ts';
import { DEFAULT_PERSIST_DIR, openLocalStore } from './local-store.ts';
import { startLocalWorker } from './local-worker.ts';
import { publishModel } from './publish.ts';

const SHIPPED = 'train/pretrained';

try {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      'persist-to': { type: 'string', default: DEFAULT_PERSIST_DIR },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port must be 1–65535, got '${values.port}'`);
  console.log('building the page …');
  execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
  const store = await openLocalStore(values['persist-to']);
  try {
    if (await store.get(r2Keys.latest)) {
      console.log(`a model is already promoted in ${store.description}; serving it`);
    } else {
      const m = await publishModel(store, SHIPPED, { promote: true });
      console.log(`seeded ${store.description} with the shipped model ${m.version}`);
    }
  } finally {
    await store.close();
  }
  console.log('starting the worker (wrangler dev, local, offline) …');
  const worker = await startLocalWorker({ persistDir: values['persist-to'], port });
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
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
