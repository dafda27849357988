// /v1/model, /v1/models, /v1/models/:version, /healthz, the page's headers, and error shapes.
import { createExecutionContext, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type Manifest,
  manifestSchema,
  r2Keys,
  SECURITY_HEADERS,
  versionListSchema,
} from '../../contract/index.ts';
import worker from '../../edge/index.ts';
import { MANIFEST_TTL_SECONDS } from '../../edge/store.ts';
import { BASE, clearBucket, errorOf, get, modelFiles, publishVersion, shippedManifest } from './helpers.ts';

beforeEach(clearBucket);

const servedVersion = async (init?: RequestInit) => {
  const res = await get('/v1/model', init);
  expect(res.status).toBe(200);
  return ((await res.json()) as Manifest).version;
};
const promote = (m: Manifest) => env.MODELS.put(r2Keys.latest, JSON.stringify(m));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /v1/model', () => {
  it('before any publish: 404 no_model as JSON the page can show', async () => {
    const res = await get('/v1/model');
    expect(res.status).toBe(404);
    expect(res.headers.get('Content-Type')).toContain('application/json');
    expect(await errorOf(res)).toEqual({ code: 'no_model', message: 'No model has been published yet.' });
  });

  it('serves the promoted manifest with a short cache, an ETag and 304 on If-None-Match', async () => {
    const published = await publishVersion(undefined, { promote: true });
    const res = await get('/v1/model');
    expect(res.status).toBe(200);
    expect(manifestSchema.parse(await res.json())).toEqual(published);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60');
    const etag = res.headers.get('ETag')!;
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await get('/v1/model', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const weak = await get('/v1/model', { headers: { 'If-None-Match': `"nope", W/${etag}` } });
    expect(weak.status).toBe(304);
    const other = await get('/v1/model', { headers: { 'If-None-Match': '"something-else"' } });
    expect(other.status).toBe(200);
  });

  it('serves schema 1, 2 and 3 manifests as they are stored', async () => {
    for (const schema of [1, 2, 3] as const) {
      const published = await publishVersion(undefined, { promote: true, schema });
      const res = await get('/v1/model', { headers: { 'Cache-Control': 'no-cache' } });
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
      expect(manifestSchema.parse(await res.json())).toEqual(published);
    }
  });

  it(`a promotion or rollback reaches clients within ${MANIFEST_TTL_SECONDS} s, at once with no-cache`, {
    timeout: 30_000,
  }, async () => {
    const a = await publishVersion(undefined, { promote: true });
    expect(await servedVersion()).toBe(a.version);
    const b = await publishVersion('20991231T235959Z-0000000b', { promote: true });
    const promotedAt = Date.now();
    // The worker answers from its copy until that is older than the stated time...
    expect(await servedVersion()).toBe(a.version);
    let seen = a.version;
    while (seen !== b.version && Date.now() - promotedAt < (MANIFEST_TTL_SECONDS + 5) * 1000) {
      await sleep(100);
      seen = await servedVersion();
    }
    // ...then asks R2 (conditionally) and serves the new one.
    expect(seen).toBe(b.version);
    expect(Date.now() - promotedAt).toBeLessThanOrEqual(MANIFEST_TTL_SECONDS * 1000 + 500);
    // A rollback (or promotion) is seen at once by a request that asks caches to revalidate (a
    // reload, the page's fetch), and by everyone after it.
    await promote(a);
    expect(await servedVersion({ headers: { 'Cache-Control': 'no-cache' } })).toBe(a.version);
    expect(await servedVersion()).toBe(a.version);
    await promote(b);
    expect(await servedVersion({ headers: { 'Cache-Control': 'max-age=0' } })).toBe(b.version);
    await promote(a);
    expect(await servedVersion({ headers: { Pragma: 'no-cache' } })).toBe(a.version);
    expect(await servedVersion()).toBe(a.version);
  });

  it('a corrupt latest.json is a 503 with a code, not a crash', async () => {
    for (const bad of ['{not json', JSON.stringify({ ...shippedManifest(), files: [] }), '[]', '']) {
      await env.MODELS.put(r2Keys.latest, bad);
      const res = await get('/v1/model');
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe('corrupt_manifest');
      expect(error.message).toContain('latest.json');
      expect(error.message).not.toMatch(/\n\s+at /);
    }
  });
});

describe('GET /v1/models', () => {
  const versions = Array.from({ length: 7 }, (_, i) => `2026112${i}T120000Z-0000000${i}`);

  it('lists versions newest first, paginated by cursor, marking the promoted one', async () => {
    for (const v of versions) await publishVersion(v, { promote: v === versions[3] });
    // A publish in progress (files but no manifest yet) is not listed.
    await env.MODELS.put(r2Keys.file('20261130T000000Z-aaaaaaaa', 'model.json'), '{}');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/models?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = versionListSchema.parse(await res.json());
      seen.push(...page.versions.map((v) => v.version));
      for (const v of page.versions) expect(v.promoted).toBe(v.version === versions[3]);
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...versions].reverse());
    const one = versionListSchema.parse(await (await get('/v1/models')).json());
    expect(one.versions[0].bytes).toBe(shippedManifest().files.reduce((s, f) => s + f.bytes, 0));
  });

  it('carries what a history panel shows: date, preset, steps, backend, scores, the sample grid', async () => {
    const m = shippedManifest();
    await publishVersion(versions[1], { schema: 1 });
    await publishVersion(versions[2], { promote: true });
    const page = versionListSchema.parse(await (await get('/v1/models')).json());
    expect(page.versions).toEqual([
      {
        version: versions[2],
        createdAt: m.createdAt,
        preset: m.preset,
        quantization: m.quantization,
        schema: 3,
        steps: m.training.steps,
        backend: m.training.backend,
        bytes: m.files.reduce((s, f) => s + f.bytes, 0),
        metrics: m.metrics,
        samplesPath: `/v1/models/${versions[2]}/samples.png`,
        promoted: true,
      },
      expect.objectContaining({ version: versions[1], schema: 1, samplesPath: null, promoted: false }),
    ]);
    // The path serves the evaluation's sample grid.
    const png = await get(page.versions[0].samplesPath!);
    expect(png.status).toBe(200);
    expect(png.headers.get('Content-Type')).toBe('image/png');
    expect(new Uint8Array(await png.arrayBuffer())).toEqual(modelFiles().get('samples.png'));
  });

  it('reads the manifests of a page concurrently, at most 6 at a time', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `20261201T${String(i).padStart(6, '0')}Z-0000abcd`);
    for (const v of many)
      await env.MODELS.put(r2Keys.manifest(v), JSON.stringify({ ...shippedManifest(), version: v }));
    // The store as the worker sees it, counting manifest reads in flight (R2 answers take a while).
    let inFlight = 0;
    let most = 0;
    const bucket = {
      list: (o: R2ListOptions) => env.MODELS.list(o),
      head: (k: string) => env.MODELS.head(k),
      get: async (k: string, o?: R2GetOptions) => {
        most = Math.max(most, ++inFlight);
        await sleep(20);
        try {
          return await env.MODELS.get(k, o);
        } finally {
          inFlight--;
        }
      },
    } as unknown as R2Bucket;
    const res = await worker.fetch(
      new Request(`${BASE}/v1/models?limit=40`),
      { ...env, MODELS: bucket },
      createExecutionContext(),
    );
    const page = versionListSchema.parse(await res.json());
    expect(page.versions.map((v) => v.version)).toEqual([...many].reverse());
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(6);
  });

  it('bad query parameters are a 400 naming them', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=../../x', 'extra=1']) {
      const res = await get(`/v1/models?${q}`);
      expect(res.status, q).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_query');
      expect(error.message).toMatch(new RegExp(q.split('=')[0]));
    }
  });

  it('GET /v1/models/:version: the manifest, or 404 for unknown and malformed versions', async () => {
    const m = await publishVersion();
    const res = await get(`/v1/models/${m.version}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(m);
    for (const v of ['20990101T000000Z-00000000', 'latest', '..', '%2e%2e', '%2F', 'x'.repeat(5000)]) {
      const r = await get(`/v1/models/${v}`);
      expect(r.status, v).toBe(404);
      // '..' and '%2e%2e' are dot segments to URL parsing: /v1/models/.. is /v1/, no route at all.
      expect((await errorOf(r)).code).toBe(v === '..' || v === '%2e%2e' ? 'not_found' : 'unknown_version');
    }
  });
});

describe('the rest of the surface', () => {
  it('/healthz answers without touching R2', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('security headers on every API response: the shared ones, none of the page-only ones', async () => {
    // The page's own headers come from the _headers file the page build writes (from the same
    // contract module) via the assets store, which this pool does not route;
    // tests/integration/publish-local.test.ts checks them on the real local worker.
    for (const path of ['/v1/model', '/healthz', '/v1/nope', '/v1/openapi.json']) {
      const res = await get(path);
      expect(res.headers.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(res.headers.get('Referrer-Policy'), path).toBe('no-referrer');
      expect(res.headers.get('X-Frame-Options'), path).toBe('DENY');
      expect(res.headers.get('Strict-Transport-Security'), path).toMatch(/^max-age=\d+/);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
      }
      // Neither the page's isolation headers nor what Hono's secureHeaders would add by default.
      for (const name of [
        'Content-Security-Policy',
        'Cross-Origin-Opener-Policy',
        'Cross-Origin-Embedder-Policy',
        'Origin-Agent-Cluster',
        'X-DNS-Prefetch-Control',
        'X-Download-Options',
        'X-Permitted-Cross-Domain-Policies',
        'X-XSS-Protection',
      ]) {
        expect(res.headers.get(name), `${path} ${name}`).toBeNull();
      }
      expect(res.headers.get('Cross-Origin-Resource-Policy'), path).toBe('cross-origin');
    }
    const api = await get('/v1/model');
    expect(api.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(api.headers.get('Access-Control-Allow-Origin')).toBe('*');
  });

  it('unknown API routes are 404 JSON; wrong methods are 405 with Allow', async () => {
    const nope = await get('/v1/nope');
    expect(nope.status).toBe(404);
    expect((await errorOf(nope)).code).toBe('not_found');
    for (const [method, path, allow] of [
      ['POST', '/v1/model', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/v1/models/20261127T160000Z-ab12cd34', 'GET, HEAD, OPTIONS'],
      ['GET', '/v1/retrain', 'POST, OPTIONS'],
      ['POST', '/healthz', 'GET, HEAD'],
    ] as const) {
      const res = await get(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('Allow')).toBe(allow);
      expect((await errorOf(res)).code).toBe('method_not_allowed');
    }
  });
});
