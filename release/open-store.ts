import { hasR2Credentials, openR2Store } from './r2-store.ts';
import type { ObjectStore } from './store.ts';
import { DEFAULT_PERSIST_DIR } from './wrangler-env.ts';

/** `--target r2|local`; without one, R2 when its credentials are in the environment, else local. */
export async function openStore(
  target: string | undefined,
  persistDir = DEFAULT_PERSIST_DIR,
): Promise<ObjectStore> {
  const t = target ?? (hasR2Credentials() ? 'r2' : 'local');
  if (t !== 'local' && t !== 'r2') throw new Error(`--target must be 'local' or 'r2', got '${t}'`);
  if (t === 'r2') return openR2Store();
  // Loaded only for the local R2: wrangler, once imported, installs a Ctrl-C handler that exits at
  // once, which would cut a long pipeline short without its checkpoint.
  const { openLocalStore } = await import('./local-store.ts');
  return openLocalStore(persistDir);
}
