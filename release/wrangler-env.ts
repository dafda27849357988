// Wrangler run offline and self-contained: no request.cf lookup over the network, no usage
// metrics, and its config and logs inside the project rather than the user's home.
import { join } from 'node:path';

export const WRANGLER_CONFIG = 'wrangler.toml';

/** The local R2's folder (wrangler's --persist-to), shared by `npm start` and every publish to it. */
export const DEFAULT_PERSIST_DIR = '.wrangler/state';

export const offlineWranglerEnv = (root = process.cwd()): Record<string, string> => ({
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  XDG_CONFIG_HOME: join(root, '.wrangler', 'config'),
});

/** For wrangler's in-process API, which reads these from this process's environment. */
export function useOfflineWrangler(): void {
  for (const [k, v] of Object.entries(offlineWranglerEnv())) process.env[k] ??= v;
}
