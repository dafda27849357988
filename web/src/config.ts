// What the URL asks for: ?backend=webgpu|wasm|wasm-simd|cpu overrides the runtime choice,
// ?api=https://… reads the model from another API origin (same origin by default), ?version=…
// runs a published version other than the promoted one.
import { isVersion } from '../../contract/index.ts';

export const BACKENDS = ['webgpu', 'wasm', 'wasm-simd', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface PageConfig {
  backend: BackendChoice | null;
  apiBase: string;
  /** A published version to run instead of the promoted one (?version=…). */
  version: string | null;
}

export function readConfig(search: string, origin: string): PageConfig {
  const q = new URLSearchParams(search);
  const b = q.get('backend');
  const backend = b && (BACKENDS as readonly string[]).includes(b) ? (b as BackendChoice) : null;
  if (b && !backend) throw new Error(`Unknown ?backend=${b}; use one of ${BACKENDS.join(', ')}.`);
  const api = q.get('api');
  let apiBase = origin;
  if (api) {
    const u = new URL(api, origin);
    if (u.protocol !== 'https:' && u.hostname !== 'localhost' && u.hostname !== '127.0.0.1') {
      throw new Error(`?api must be an https URL, got ${api}`);
    }
    apiBase = u.origin;
  }
  const version = q.get('version');
  if (version !== null && !isVersion(version)) throw new Error(`?version=${version} is not a version name.`);
  return { backend, apiBase, version };
}
