// A seeded fuzz: thousands of random requests (paths, methods, headers, bodies). Whatever comes in,
// the worker answers below 500 with a JSON error or an allowed file, and never serves anything else.
import { createExecutionContext, env } from 'cloudflare:test';
import { beforeAll, expect, it } from 'vitest';
import { type Manifest, r2Keys, uniform } from '../../contract/index.ts';
import worker from '../../edge/index.ts';
import { BASE, modelFiles, publishVersion } from './helpers.ts';

const SEED = 20261127;
const REQUESTS = 2500;
const CANARY = 'CANARY-must-never-be-served';

let m: Manifest;
beforeAll(async () => {
  m = await publishVersion(undefined, { promote: true });
  await env.MODELS.put(r2Keys.file(m.version, 'canary.bin'), CANARY);
  await env.MODELS.put(`models/${m.version}/../canary.txt`, CANARY);
  await env.MODELS.put('canary.json', CANARY);
  await env.MODELS.put('models/canary/manifest.json', CANARY);
});

it(`${REQUESTS} random requests (seed ${SEED}): no 5xx, JSON errors, only allow-listed bytes`, {
  timeout: 600_000,
}, async () => {
  const started = Date.now();
  const r = uniform(SEED); // the page's own seeded PRNG
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const files = modelFiles();
  const allowed = m.files.map((f) => files.get(f.path)!);
  const ASCII = [
    'a',
    'Z',
    '0',
    '.',
    '..',
    '/',
    '\\',
    '%',
    '%2f',
    '%2e',
    '%00',
    '%ff',
    '~',
    ' ',
    '%E2%80%AE',
    '?',
    '#',
    ';',
    '*',
  ];
  const join = (parts: string[]) =>
    Array.from({ length: 1 + Math.floor(r() * 12) }, () => pick(parts)).join('');
  // Paths may hold any character; header values are bytes, and what a browser can send is ASCII.
  const garbage = () => join([...ASCII, 'é', '😀']);
  const headerGarbage = () => join(ASCII);
  const segment = () =>
    pick([
      m.version,
      m.version.toLowerCase(),
      '20261127T160000Z-ab12cd34',
      ...m.files.map((f) => f.path),
      'manifest.json',
      'canary.bin',
      'latest.json',
      '..',
      '%2e%2e',
      '..%2f..%2fcanary.json',
      'x'.repeat(Math.floor(r() * 3000)),
      garbage(),
      '',
    ]);
  const path = () =>
    pick([
      () => `/v1/models/${segment()}/${segment()}`,
      () => `/v1/models/${segment()}`,
      () => `/v1/${segment()}`,
      () => `/v1/models/${m.version}/${segment()}${pick(['', '/', `/${segment()}`])}`,
      () => `/v1/models/${m.version}/${pick(m.files).path}`,
      () => pick(['/v1/model', '/v1/models', '/healthz', '/v1/openapi.json', '/v1/retrain', '/']),
      () => `/v1/models?limit=${pick(['1', '0', '-1', '100', '1e3', 'NaN', garbage()])}&cursor=${segment()}`,
      () => `/${garbage()}`,
    ])();
  const range = () =>
    pick([
      'bytes=0-0',
      `bytes=${Math.floor(r() * 400000)}-${Math.floor(r() * 400000)}`,
      `bytes=-${Math.floor(r() * 400000)}`,
      `bytes=${Math.floor(r() * 400000)}-`,
      'bytes=0-1,5-9',
      'bytes=-',
      'bytes=99999999999999999999999-',
      headerGarbage(),
    ]);

  const statuses = new Map<number, number>();
  for (let i = 0; i < REQUESTS; i++) {
    const headers: Record<string, string> = {};
    if (r() < 0.4) headers.Range = range();
    if (r() < 0.3) headers['If-None-Match'] = pick(['*', '"x"', 'W/"y"', headerGarbage(), '""', ',,,']);
    if (r() < 0.2)
      headers.Authorization = pick(['Bearer ', `Bearer ${headerGarbage()}`, headerGarbage(), 'Basic x']);
    if (r() < 0.1) headers['Content-Type'] = pick(['application/json', 'text/plain', headerGarbage()]);
    if (r() < 0.1) headers.Origin = pick(['https://evil.example', 'null', headerGarbage()]);
    const method = pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
    const body =
      method === 'POST' || method === 'PUT' || method === 'PATCH'
        ? pick(['{}', '{"preset":"fast"}', garbage(), ''])
        : undefined;
    const p = path();
    let url: string;
    try {
      url = new URL(p, BASE).toString();
    } catch {
      continue; // not even a URL: never reaches a worker
    }
    // The worker's own fetch handler in this isolate (SELF's extra hop slows to a crawl after a
    // few hundred requests in the test pool).
    const res = await worker.fetch(
      new Request(url, { method, headers, body }),
      env,
      createExecutionContext(),
    );
    const what = `#${i} ${method} ${p} ${JSON.stringify(headers)}`;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    expect(res.status, what).toBeLessThan(500);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    expect(text.includes(CANARY), what).toBe(false);
    expect(text, what).not.toMatch(/\n\s+at /);
    if (res.status >= 400 && method !== 'HEAD' && new URL(url).pathname.startsWith('/v1/')) {
      expect(JSON.parse(text).error.code, what).toMatch(/^[a-z_]+$/);
    }
    if (
      (res.status === 200 || res.status === 206) &&
      /^\/v1\/models\/[^/]+\/[^/]+$/.test(new URL(url).pathname) &&
      method === 'GET'
    ) {
      // A file body is one of the manifest's files, or a slice of one.
      const ok = allowed.some((f) => {
        const start =
          res.status === 206 ? Number(/bytes (\d+)-/.exec(res.headers.get('Content-Range') ?? '')?.[1]) : 0;
        return bytes.every((b, j) => f[start + j] === b) && start + bytes.length <= f.length;
      });
      expect(ok, what).toBe(true);
    }
  }
  // The fuzz reached the interesting answers, not just 404s.
  for (const s of [200, 206, 304, 400, 401, 404, 405, 416])
    expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
  console.log(
    `fuzz: ${REQUESTS} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
  );
});
