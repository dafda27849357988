// The manifest's request starts with the page, not once the engine has started: the engine's
// script and tfjs take longer to arrive than the answer. The page only fetches; the engine reads
// the answer and checks it against the contract (the page's own script carries no schema library).
import type { ManifestAnswer } from './engine/api.ts';
import { STEP } from './engine/steps.ts';
import { STALL_MS } from './stall.ts';

export function requestManifest(version: string | null): Promise<ManifestAnswer> {
  const path = version ? `/v1/models/${encodeURIComponent(version)}` : '/v1/model';
  // A server that never answers counts as one that cannot be reached: the engine then falls back
  // to the last good model instead of waiting for ever.
  const signal = AbortSignal.timeout(STALL_MS);
  const start = performance.now();
  return fetch(path, { cache: 'no-cache', signal })
    .then(async (res): Promise<ManifestAnswer> => ({ status: res.status, body: await res.text() }))
    .catch((): ManifestAnswer => ({ unreachable: signal.aborted ? 'timeout' : 'offline' }))
    .finally(() => performance.measure(STEP.manifestRequest, { start, end: performance.now() }));
}
