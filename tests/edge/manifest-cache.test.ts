// The isolate's copy of manifests (edge/manifest-cache.ts) on the real local R2, with a test clock:
// what it reads, when, and that a change in R2 is served once the copy is older than its time to live.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Manifest, manifestSchema, r2Keys } from '../../contract/index.ts';
import { ManifestCache, type ParseManifest } from '../../edge/manifest-cache.ts';
import { clearBucket, shippedManifest } from './helpers.ts';

const TTL = 5000;
let now = 0;
let parsed = 0;
const parse: ParseManifest = (text) => {
  parsed++;
  return manifestSchema.parse(JSON.parse(text));
};

/** The bucket as the cache sees it, recording each read's options. */
function recordingBucket(): { bucket: R2Bucket; reads: (R2GetOptions | undefined)[] } {
  const reads: (R2GetOptions | undefined)[] = [];
  const bucket = {
    get: (key: string, opts?: R2GetOptions) => {
      reads.push(opts);
      return env.MODELS.get(key, opts);
    },
  } as unknown as R2Bucket;
  return { bucket, reads };
}

const version = (v: string): Manifest => ({ ...shippedManifest(), version: v });
const A = version('20261201T000000Z-0000000a');
const B = version('20261202T000000Z-0000000b');
const promote = (m: Manifest) => env.MODELS.put(r2Keys.latest, JSON.stringify(m));

beforeEach(async () => {
  await clearBucket();
  now = 0;
  parsed = 0;
});

describe('ManifestCache', () => {
  it('serves its copy for the time to live, then revalidates with a conditional read', async () => {
    const cache = new ManifestCache({ ttlMs: TTL, maxEntries: 8, now: () => now });
    const { bucket, reads } = recordingBucket();
    await promote(A);
    const first = await cache.get(bucket, r2Keys.latest, parse);
    expect(first?.manifest.version).toBe(A.version);
    expect(first?.json).toBe(JSON.stringify(first?.manifest));
    expect(reads).toEqual([{}]);

    now = TTL - 1;
    expect(await cache.get(bucket, r2Keys.latest, parse)).toBe(first);
    expect(reads.length).toBe(1);

    // Stale: one conditional read; R2 sends no body, nothing is parsed again.
    now = TTL;
    expect(await cache.get(bucket, r2Keys.latest, parse)).toBe(first);
    expect(reads[1]).toEqual({ onlyIf: { etagDoesNotMatch: first?.r2Etag } });
    expect(parsed).toBe(1);

    // A promotion: served once the copy is stale again, read and parsed once.
    await promote(B);
    now = TTL + 1000;
    expect((await cache.get(bucket, r2Keys.latest, parse))?.manifest.version).toBe(A.version);
    now = 2 * TTL;
    const second = await cache.get(bucket, r2Keys.latest, parse);
    expect(second?.manifest.version).toBe(B.version);
    expect(second?.etag).not.toBe(first?.etag);
    expect(parsed).toBe(2);
    expect(reads.length).toBe(3);
  });

  it('revalidate (a client’s no-cache) asks R2 at once, however fresh the copy', async () => {
    const cache = new ManifestCache({ ttlMs: TTL, maxEntries: 8, now: () => now });
    const { bucket, reads } = recordingBucket();
    await promote(A);
    await cache.get(bucket, r2Keys.latest, parse);
    await promote(B);
    const fresh = await cache.get(bucket, r2Keys.latest, parse, { revalidate: true });
    expect(fresh?.manifest.version).toBe(B.version);
    expect(reads.length).toBe(2);
    // Everyone after gets the new copy.
    expect((await cache.get(bucket, r2Keys.latest, parse))?.manifest.version).toBe(B.version);
    expect(reads.length).toBe(2);
  });

  it('concurrent requests each read (no pending read is shared); missing and corrupt objects are not kept', async () => {
    const cache = new ManifestCache({ ttlMs: TTL, maxEntries: 8, now: () => now });
    const { bucket, reads } = recordingBucket();
    await promote(A);
    // workerd cancels a request that waits on I/O another request started, so nothing pending is shared.
    const all = await Promise.all(Array.from({ length: 5 }, () => cache.get(bucket, r2Keys.latest, parse)));
    expect(all.map((c) => c?.manifest.version)).toEqual(Array(5).fill(A.version));
    expect(reads.length).toBe(5);
    // Then all are served from memory.
    await cache.get(bucket, r2Keys.latest, parse);
    expect(reads.length).toBe(5);

    await env.MODELS.delete(r2Keys.latest);
    now = TTL;
    expect(await cache.get(bucket, r2Keys.latest, parse)).toBeNull();
    expect(await cache.get(bucket, r2Keys.latest, parse)).toBeNull();
    expect(reads.length).toBe(7);

    await env.MODELS.put(r2Keys.latest, '{"schema": 3}');
    await expect(cache.get(bucket, r2Keys.latest, parse)).rejects.toThrow();
    await promote(A);
    expect((await cache.get(bucket, r2Keys.latest, parse))?.manifest.version).toBe(A.version);
  });

  it('reads finishing out of order never replace a newer copy with an older one', async () => {
    const cache = new ManifestCache({ ttlMs: TTL, maxEntries: 8, now: () => now });
    await promote(A);
    // The first read gets A from R2, then stalls until released; the second reads B and finishes first.
    let release = () => {};
    const stalled = new Promise<void>((r) => {
      release = r;
    });
    let firstRead = () => {};
    const firstHasRead = new Promise<void>((r) => {
      firstRead = r;
    });
    let calls = 0;
    const bucket = {
      get: async (key: string, opts?: R2GetOptions) => {
        const first = calls++ === 0;
        const obj = await env.MODELS.get(key, opts);
        const text = obj && 'body' in obj ? await obj.text() : '';
        if (first) {
          firstRead();
          await stalled;
        }
        return obj && { etag: obj.etag, httpEtag: obj.httpEtag, body: null, text: async () => text };
      },
    } as unknown as R2Bucket;
    const first = cache.get(bucket, r2Keys.latest, parse);
    await firstHasRead;
    await promote(B);
    now = 1;
    expect((await cache.get(bucket, r2Keys.latest, parse))?.manifest.version).toBe(B.version);
    release();
    expect((await first)?.manifest.version).toBe(B.version);
    expect((await cache.get(bucket, r2Keys.latest, parse))?.manifest.version).toBe(B.version);
  });

  it('keeps at most maxEntries keys, dropping the least recently used', async () => {
    const cache = new ManifestCache({ ttlMs: TTL, maxEntries: 2, now: () => now });
    const { bucket, reads } = recordingBucket();
    for (const m of [A, B]) await env.MODELS.put(r2Keys.manifest(m.version), JSON.stringify(m));
    await promote(A);
    const keys = [r2Keys.manifest(A.version), r2Keys.manifest(B.version), r2Keys.latest];
    await cache.get(bucket, keys[0], parse);
    await cache.get(bucket, keys[1], parse);
    await cache.get(bucket, keys[0], parse); // A's is now the most recently used
    await cache.get(bucket, keys[2], parse); // drops B's
    expect(reads.length).toBe(3);
    await cache.get(bucket, keys[0], parse);
    expect(reads.length).toBe(3);
    await cache.get(bucket, keys[1], parse);
    expect(reads.length).toBe(4);
  });
});
