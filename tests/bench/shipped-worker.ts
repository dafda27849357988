// The product as `npm start` serves it, for the page's audits and tests: the production page built
// as a shell builds it (not under vitest's NODE_ENV=test, which gives a development build) into a
// temporary folder of its own, the shipped model promoted in a local R2 (a temporary folder too, so
// the user's .wrangler/state is never touched), the worker through wrangler (offline) on a free
// port. Another build of web/dist in the same checkout does not change the page under it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { buildProductionPage } from '../browser/builds.ts';

export const SHIPPED_MODEL = 'model/shipped';

/** Builds the page and serves it with the shipped model; `stop()` also deletes both folders. */
export async function startShippedWorker(): Promise<LocalWorker> {
  const site = mkdtempSync(join(tmpdir(), 'shipped-site-'));
  const persist = mkdtempSync(join(tmpdir(), 'shipped-worker-'));
  const removeFolders = () => {
    rmSync(persist, { recursive: true, force: true });
    rmSync(site, { recursive: true, force: true });
  };
  // Also when the process exits without stop(): a signal, which wrangler answers with process.exit().
  process.once('exit', removeFolders);
  try {
    buildProductionPage({ outDir: site });
    const store = await openLocalStore(persist);
    try {
      await publishModel(store, SHIPPED_MODEL, { promote: true });
    } finally {
      await store.close();
    }
    const worker = await startLocalWorker({ persistDir: persist, assets: site });
    return {
      url: worker.url,
      stop: async () => {
        try {
          await worker.stop();
        } finally {
          removeFolders();
          process.off('exit', removeFolders);
        }
      },
    };
  } catch (e) {
    removeFolders();
    process.off('exit', removeFolders);
    throw e;
  }
}
