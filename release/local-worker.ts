// Runs the worker locally through wrangler's own API (the same build and bindings as `wrangler dev
// --local`: wrangler.toml, the built page as assets, local R2 persisted in `persistDir`).
import { unstable_startWorker } from 'wrangler';
import { useOfflineWrangler, WRANGLER_CONFIG } from './wrangler-env.ts';

export interface LocalWorker {
  url: string;
  stop(): Promise<void>;
}

export async function startLocalWorker(opts: {
  persistDir: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** Reload on source changes (development). */
  watch?: boolean;
  /** The page's files, instead of wrangler.toml's (web/dist): the test build's web/dist-test. */
  assets?: string;
}): Promise<LocalWorker> {
  useOfflineWrangler();
  const worker = await unstable_startWorker({
    config: WRANGLER_CONFIG,
    sendMetrics: false,
    assets: opts.assets,
    dev: {
      remote: false,
      persist: opts.persistDir,
      server: { hostname: '127.0.0.1', port: opts.port ?? 0 },
      inspector: false,
      watch: opts.watch ?? false,
      logLevel: 'warn',
    },
  });
  try {
    await worker.ready;
    const url = (await worker.url).origin;
    return { url, stop: () => worker.dispose() };
  } catch (e) {
    await worker.dispose();
    throw e;
  }
}
