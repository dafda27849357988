// A training replica thread (data-parallel training, see replicas.ts): holds its own copy of both
// networks and optimizers, computes gradients on its share of each batch, and applies the averaged
// gradients it is sent, exactly as the main thread does, so every copy stays identical.
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../../lib/errors.ts';
import { selectBackend } from '../backend.ts';
import { restoreState } from '../checkpoint.ts';
import { createGan } from '../gan.ts';
import { getPreset } from '../models/presets.ts';
import { Rng } from '../rng.ts';
import type { FromReplica, ReplicaInit, ToReplica } from './messages.ts';
import { applyAveraged, shardGradients } from './shard-step.ts';

const init = workerData as ReplicaInit;
const port = parentPort!;
const send = (m: FromReplica, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

await selectBackend(init.backend, false, () => {});
// Initial weights come from the main thread ('state'); dropout masks from the seed sent with each step.
let dropout = new Rng(0);
const gan = createGan(getPreset(init.preset), { next: () => dropout.seed() }, init.recipe);

async function handle(m: ToReplica): Promise<void> {
  if (m.type === 'state') {
    await restoreState(m.snapshot, gan, `replica ${init.index}`);
    send({ type: 'ready' });
  } else if (m.type === 'step') {
    dropout = new Rng(m.dropoutSeed);
    const r = shardGradients(gan, m.shard, m.topK);
    send({ type: 'grads', ...r }, [r.grads.buffer, r.moving.buffer, r.stats.buffer] as ArrayBuffer[]);
  } else {
    applyAveraged(gan, m.grads, m.moving, m.lrScale);
  }
}

// One message at a time, in arrival order ('state' is async).
let queue = Promise.resolve();
port.on('message', (m: ToReplica) => {
  queue = queue
    .then(() => handle(m))
    .catch((e: unknown) => {
      send({ type: 'failed', message: errorMessage(e) });
      process.exit(1);
    });
});
