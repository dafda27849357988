// The promoted model's manifest (or a chosen version's) from the page's own API, checked against
// the shared contract.
import { apiErrorSchema, type Manifest, manifestSchema } from '../../../contract/index.ts';
import { STALL_MS } from './model-files.ts';

export class NoModelError extends Error {}
export class OfflineError extends Error {}

export async function fetchManifest(version: string | null = null): Promise<Manifest> {
  let res: Response;
  let body: unknown;
  const path = version ? `/v1/models/${encodeURIComponent(version)}` : '/v1/model';
  // A server that never answers is treated like one that cannot be reached: the page falls back to
  // its last good model instead of waiting for ever.
  const signal = AbortSignal.timeout(STALL_MS);
  try {
    res = await fetch(path, { cache: 'no-cache', signal });
    body = await res.json().catch(() => (signal.aborted ? Promise.reject(signal.reason) : null));
  } catch {
    throw new OfflineError(
      signal.aborted
        ? `The model server did not answer within ${STALL_MS / 1000} s.`
        : 'You are offline (the model server cannot be reached).',
    );
  }
  if (!res.ok) {
    const err = apiErrorSchema.safeParse(body);
    const message = err.success ? err.data.error.message : `HTTP ${res.status}`;
    if (res.status === 404 && err.success && err.data.error.code === 'no_model')
      throw new NoModelError(message);
    throw new Error(`The model server answered ${res.status}: ${message}`);
  }
  const parsed = manifestSchema.safeParse(body);
  if (!parsed.success) throw new Error('The model server sent a manifest that does not follow the contract.');
  return parsed.data;
}

export function parseManifest(json: string | null): Manifest | null {
  if (!json) return null;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
