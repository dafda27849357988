// The product as `npm start` serves it, for the page's audits and tests: the page built, the shipped
// model promoted in a local R2, the worker through wrangler (offline) on a free port. The local R2 is
// a temporary folder of its own, so the user's .wrangler/state is never touched.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';

export const SHIPPED_MODEL = 'model/shipped';

/** Builds the page and serves it with the shipped model; `stop()` also deletes the local R2. */
export async function startShippedWorker(): Promise<LocalWorker> {
  execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
  const persist = mkdtempSync(join(tmpdir(), 'shipped-worker-'));
  const removePersist = () => rmSync(persist, { recursive: true, force: true });
  // Also when the process exits without stop(): a signal, which wrangler answers with process.exit().
  process.once('exit', removePersist);
  try {
    const store = await openLocalStore(persist);
    try {
      await publishModel(store, SHIPPED_MODEL, { promote: true });
    } finally {
      await store.close();
    }
    const worker = await startLocalWorker({ persistDir: persist });
    return {
      url: worker.url,
      stop: async () => {
        try {
          await worker.stop();
        } finally {
          removePersist();
          process.off('exit', removePersist);
        }
      },
    };
  } catch (e) {
    removePersist();
    process.off('exit', removePersist);
    throw e;
  }
}
