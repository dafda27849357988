// A short publish-under-load run (the full one: npm run bench:edge -- --publish-under-load): clients
// keep reading /v1/model and every file it lists from the real local worker while a new version is
// published and promoted, then rolled back. No errors, no file that does not match the manifest the
// client read, and each change served within the worker's stated time.
import { describe, expect, it } from 'vitest';
import { MANIFEST_TTL_SECONDS } from '../../contract/index.ts';
import { formatSoak, soak } from '../bench/soak.ts';

describe('publishing under load', () => {
  it('16 clients for 15 s: 0 errors, 0 mismatches, promotion and rollback both served in time', {
    timeout: 300_000,
  }, async () => {
    const r = await soak({ modelDir: 'model/shipped', clients: 16, seconds: 15 });
    console.log(formatSoak(r).join('\n'));
    expect(r.errorSamples).toEqual([]);
    expect(r.errors).toBe(0);
    expect(r.mismatches).toBe(0);
    expect(r.requests).toBeGreaterThan(100);
    expect(r.events.map((e) => e.what)).toEqual(['publish + promote', 'rollback']);
    for (const e of r.events) {
      expect(e.visibleAfterMs, e.what).not.toBeNull();
      // The worker's copy is at most MANIFEST_TTL_SECONDS old; the slack is the clients' next request.
      expect(e.visibleAfterMs!, e.what).toBeLessThan(MANIFEST_TTL_SECONDS * 1000 + 3000);
    }
    expect(Object.keys(r.versionsServed).length).toBe(2);
  });
});
