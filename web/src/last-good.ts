// The last manifest that ran on this device (localStorage: the engine worker has none), so the page
// can fall back to it, from the cache, when the API cannot be reached or sends a damaged file.
import type { Manifest } from '../../contract/index.ts';

const LAST_GOOD = 'mnist-gan:last-good-manifest';

export function rememberGood(manifest: Manifest): void {
  try {
    localStorage.setItem(LAST_GOOD, JSON.stringify(manifest));
  } catch {
    // storage may be unavailable; the fallback is then simply absent
  }
}

export function lastGood(): string | null {
  try {
    return localStorage.getItem(LAST_GOOD);
  } catch {
    return null;
  }
}
