// GET/HEAD /v1/models/:version/:file: bytes, caching, conditionals, ranges, CORS, and the allow-list.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, r2Keys } from '../../contract/index.ts';
import { errorOf, get, modelFiles, publishVersion } from './helpers.ts';

let m: Manifest;
let shard: { path: string; bytes: Uint8Array };
const url = (path: string) => `/v1/models/${m.version}/${path}`;

beforeAll(async () => {
  m = await publishVersion(undefined, { promote: true });
  const entry = m.files.find((f) => f.path.endsWith('.bin'))!;
  shard = { path: entry.path, bytes: modelFiles().get(entry.path)! };
  // Objects the API must never expose, though they sit in the same bucket and folder.
  await env.MODELS.put(r2Keys.file(m.version, 'secret.bin'), 'not in the manifest');
  await env.MODELS.put('private/notes.txt', 'not a model at all');
});

const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const TYPES: Record<string, string> = {
  json: 'application/json; charset=utf-8',
  bin: 'application/octet-stream',
  png: 'image/png',
  svg: 'image/svg+xml',
};

describe('files', () => {
  it('serves each file of the manifest byte for byte, immutable, with its size and type', async () => {
    for (const f of m.files) {
      const res = await get(url(f.path));
      expect(res.status).toBe(200);
      const body = await bytesOf(res);
      expect(body).toEqual(modelFiles().get(f.path));
      expect(body.length).toBe(f.bytes);
      expect(res.headers.get('Content-Length')).toBe(String(f.bytes));
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('Accept-Ranges')).toBe('bytes');
      expect(res.headers.get('Content-Type')).toBe(TYPES[f.path.split('.').pop()!]);
      expect(res.headers.get('ETag')).toBe(`"${f.sha256}"`);
      expect(res.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
      expect(res.headers.get('Access-Control-Expose-Headers')).toContain('Content-Range');
    }
    // The second plain GET may come from the edge cache: same bytes, same headers.
    const again = await get(url(shard.path));
    expect(await bytesOf(again)).toEqual(shard.bytes);
    expect(again.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
  });

  it('the sample grid and the loss chart are served as images; the SVG cannot run scripts', async () => {
    expect(m.files.map((f) => f.path)).toEqual(expect.arrayContaining(['samples.png', 'losses.svg']));
    const svg = await get(url('losses.svg'));
    expect(svg.headers.get('Content-Security-Policy')).toContain('sandbox');
    expect(svg.headers.get('Content-Security-Policy')).toContain("default-src 'none'");
    expect(await svg.text()).toMatch(/^<svg /);
    const png = await get(url('samples.png'));
    expect((await bytesOf(png)).subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));
    expect(png.headers.get('Content-Security-Policy')).toBeNull();
  });

  it('a version manifest rewritten in place (schema 1 → 2, same version) lists its new files at once', async () => {
    const version = '20261128T000000Z-0000aaaa';
    const old = await publishVersion(version, { schema: 1 });
    expect(old.files.map((f) => f.path)).not.toContain('samples.png');
    const before = await get(`/v1/models/${version}/samples.png`);
    expect(before.status).toBe(404);
    expect((await errorOf(before)).code).toBe('unknown_file');
    await publishVersion(version, { schema: 2 });
    const after = await get(`/v1/models/${version}/samples.png`);
    expect(after.status).toBe(200);
    expect(await bytesOf(after)).toEqual(modelFiles().get('samples.png'));
  });

  it('ETag + If-None-Match → 304 without a body', async () => {
    const etag = (await get(url(shard.path))).headers.get('ETag')!;
    expect(etag).toBeTruthy();
    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, '*']) {
      const res = await get(url(shard.path), { headers: { 'If-None-Match': inm } });
      expect(res.status, inm).toBe(304);
      expect(res.headers.get('ETag')).toBe(etag);
      expect((await bytesOf(res)).length).toBe(0);
    }
    const miss = await get(url(shard.path), { headers: { 'If-None-Match': '"other"' } });
    expect(miss.status).toBe(200);
  });

  it('Range → 206 with Content-Range, for every form of a single range', async () => {
    const n = shard.bytes.length;
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=100-', 100, n - 1],
      ['bytes=-500', n - 500, n - 1],
      [`bytes=${n - 1}-${n + 1000}`, n - 1, n - 1],
      ['bytes=-999999999', 0, n - 1],
      ['BYTES = 5-5', 5, 5],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(url(shard.path), { headers: { Range: range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('Content-Range')).toBe(`bytes ${start}-${end}/${n}`);
      expect(res.headers.get('Content-Length')).toBe(String(end - start + 1));
      expect(await bytesOf(res)).toEqual(shard.bytes.subarray(start, end + 1));
    }
  });

  it('unsatisfiable ranges → 416 with bytes */size; malformed ones are ignored (200, whole file)', async () => {
    const n = shard.bytes.length;
    for (const range of [`bytes=${n}-`, `bytes=${n + 10}-${n + 20}`, 'bytes=-0']) {
      const res = await get(url(shard.path), { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('Content-Range')).toBe(`bytes */${n}`);
      expect((await errorOf(res)).code).toBe('range_not_satisfiable');
    }
    for (const range of [
      'bytes=9-3',
      'bytes=a-b',
      'items=0-5',
      'bytes=0-1,4-5',
      'bytes=--1',
      'bytes=',
      'bytes=99999999999999999999-',
    ]) {
      const res = await get(url(shard.path), { headers: { Range: range } });
      expect(res.status, range).toBe(200);
      expect((await bytesOf(res)).length).toBe(n);
    }
  });

  it('HEAD: the headers of GET, no body; with Range too', async () => {
    const head = await get(url(shard.path), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Length')).toBe(String(shard.bytes.length));
    expect((await bytesOf(head)).length).toBe(0);
    const ranged = await get(url(shard.path), { method: 'HEAD', headers: { Range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('Content-Range')).toBe(`bytes 0-99/${shard.bytes.length}`);
  });

  it('CORS preflight from any origin allows GET/HEAD with Range', async () => {
    const res = await get(url(shard.path), {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://elsewhere.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(res.headers.get('Access-Control-Allow-Methods')).toContain('GET');
    expect(res.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('range');
  });

  it('only files named in the manifest: no traversal, no other keys, no odd names', async () => {
    const attempts = [
      url('secret.bin'),
      url('manifest.json'),
      url('..%2f..%2flatest.json'),
      url('%2e%2e%2flatest.json'),
      url('..%5clatest.json'),
      url('model.json%00'),
      url('MODEL.JSON'),
      url(`${'a'.repeat(300)}.bin`),
      url('mod%C3%A9l.json'),
      url('%EF%BC%8E%EF%BC%8E'), // fullwidth dots
      `/v1/models/${m.version}/../../private/notes.txt`,
      `/v1/models/${m.version}/..\\..\\private\\notes.txt`,
      `/v1/models/..%2fprivate/notes.txt`,
      `/v1/models/${m.version}%2f..%2f..%2fprivate/notes.txt`,
      `/v1/models/${m.version}/${shard.path}/extra`,
    ];
    for (const path of attempts) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      const text = await res.text();
      expect(text, path).not.toContain('not in the manifest');
      expect(text, path).not.toContain('not a model at all');
      expect(JSON.parse(text).error.code, path).toMatch(/^(unknown_file|unknown_version|not_found)$/);
    }
  });

  it('a file the manifest names but the store lacks is a 503, not a crash', async () => {
    await env.MODELS.delete(r2Keys.file(m.version, shard.path));
    const res = await get(url(shard.path), { headers: { Range: 'bytes=0-1' } });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('missing_file');
    await env.MODELS.put(r2Keys.file(m.version, shard.path), shard.bytes);
  });
});
