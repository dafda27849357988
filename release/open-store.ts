import { DEFAULT_PERSIST_DIR, openLocalStore } from './local-store.ts';
import { hasR2Credentials, openR2Store } from './r2-store.ts';
import type { ObjectStore } from './store.ts';

/** `--target r2|local`; without one, R2 when its credentials are in the environment, else local. */
export async function openStore(
  target: string | undefined,
  persistDir = DEFAULT_PERSIST_DIR,
): Promise<ObjectStore> {
  const t = target ?? (hasR2Credentials() ? 'r2' : 'local');
  if (t !== 'local' && t !== 'r2') throw new Error(`--target must be 'local' or 'r2', got '${t}'`);
  return t === 'r2' ? openR2Store() : openLocalStore(persistDir);
}
