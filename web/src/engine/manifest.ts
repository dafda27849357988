// The promoted model's manifest (or a chosen version's), as the page's request got it
// (manifest-request.ts), checked against the shared contract.
import { apiErrorSchema, type Manifest, manifestSchema } from '../../../contract/index.ts';
import { STALL_MS } from '../stall.ts';
import type { ManifestAnswer } from './api.ts';

export class NoModelError extends Error {}
export class OfflineError extends Error {}

export function readManifest(answer: ManifestAnswer): Manifest {
  if ('unreachable' in answer)
    throw new OfflineError(
      answer.unreachable === 'timeout'
        ? `The model server did not answer within ${STALL_MS / 1000} s.`
        : 'You are offline (the model server cannot be reached).',
    );
  let body: unknown = null;
  try {
    body = JSON.parse(answer.body);
  } catch {
    // not JSON: said below, by status or contract
  }
  if (answer.status < 200 || answer.status > 299) {
    const err = apiErrorSchema.safeParse(body);
    const message = err.success ? err.data.error.message : `HTTP ${answer.status}`;
    if (answer.status === 404 && err.success && err.data.error.code === 'no_model')
      throw new NoModelError(message);
    throw new Error(`The model server answered ${answer.status}: ${message}`);
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
