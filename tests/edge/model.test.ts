// /v1/model, /v1/models, /v1/models/:version, /healthz, the page's headers, and error shapes.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { manifestSchema, r2Keys, SECURITY_HEADERS, versionListSchema } from '../../contract/index.ts';
import { clearBucket, errorOf, get, publishVersion, shippedManifest } from './helpers.ts';

beforeEach(clearBucket);

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
      ['GET', '/v1/retrain', 'POST'],
    ] as const) {
      const res = await get(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('Allow')).toBe(allow);
      expect((await errorOf(res)).code).toBe('method_not_allowed');
    }
  });
});
