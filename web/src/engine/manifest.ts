// The promoted model's manifest (or a chosen version's) from the page's own API, checked against
// the shared contract.
import { apiErrorSchema, type Manifest, manifestSchema } from '../../../contract/index.ts';

export class NoModelError extends Error {}
export class OfflineError extends Error {}

export async function fetchManifest(version: string | null = null): Promise<Manifest> {
  let res: Response;
  const path = version ? `/v1/models/${encodeURIComponent(version)}` : '/v1/model';
  try {
    res = await fetch(path, { cache: 'no-cache' });
  } catch {
    throw new OfflineError('The model server cannot be reached (offline?).');
  }
  const body: unknown = await res.json().catch(() => null);
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
