// The R2 store's S3 calls against a loopback stand-in for R2's S3 API (real R2 needs an account):
// signed requests (SigV4), object round trips, paginated listing, deletes,
// clear errors; and the publisher running through it end to end.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { publishModel } from '../../release/publish.ts';
import { openR2Store } from '../../release/r2-store.ts';
import { prune } from '../../release/versions.ts';

const objects = new Map<string, Buffer>();
const seen: { method: string; url: string; auth: string; sha: string }[] = [];
let server: Server;
let env: NodeJS.ProcessEnv;
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        auth: String(req.headers.authorization ?? ''),
        sha: String(req.headers['x-amz-content-sha256'] ?? ''),
      });
      if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 Credential=test-key/')) {
        res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
        return;
      }
      const [, bucket, ...rest] = url.pathname.split('/');
      if (bucket !== 'models-bucket') {
        res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
        return;
      }
      const key = rest.map(decodeURIComponent).join('/');
      if (req.method === 'PUT') {
        objects.set(key, body);
        res.writeHead(200).end();
      } else if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
        // Two keys per page, so pagination is exercised.
        const prefix = url.searchParams.get('prefix') ?? '';
        const all = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = Number(url.searchParams.get('continuation-token') ?? 0);
        const page = all.slice(start, start + 2);
        const more = start + 2 < all.length;
        res
          .writeHead(200, { 'Content-Type': 'application/xml' })
          .end(
            `<ListBucketResult>${page.map((k) => `<Contents><Key>${xml(k)}</Key></Contents>`).join('')}<IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${start + 2}</NextContinuationToken>` : ''}</ListBucketResult>`,
          );
      } else if (req.method === 'GET') {
        const obj = objects.get(key);
        if (obj) res.writeHead(200).end(obj);
        else res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
      } else if (req.method === 'DELETE') {
        objects.delete(key);
        res.writeHead(204).end();
      } else res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  env = {
    R2_ACCOUNT_ID: 'acct',
    R2_ACCESS_KEY_ID: 'test-key',
    R2_SECRET_ACCESS_KEY: 'test-secret',
    R2_BUCKET: 'models-bucket',
    R2_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the R2 store (S3 API)', () => {
  it('needs its credentials, and says which are missing', () => {
    expect(() => openR2Store({ R2_BUCKET: 'b' })).toThrow(
      '--target r2 needs R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY in the environment',
    );
  });

  it('signs every request; round-trips, lists across pages, deletes; errors name the key', async () => {
    const store = openR2Store(env);
    const bytes = new Uint8Array([1, 2, 3, 250]);
    await store.put('models/v/a b.bin', bytes, 'application/octet-stream');
    const put = seen[seen.length - 1];
    expect(put.auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=test-key\/\d{8}\/auto\/s3\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
    );
    expect(put.url).toBe('/models-bucket/models/v/a%20b.bin');
    // aws4fetch signs S3 requests with an unsigned payload; the publisher checks integrity by
    // reading every object back and hashing it.
    expect(put.sha).toBe('UNSIGNED-PAYLOAD');
    expect(await store.get('models/v/a b.bin')).toEqual(bytes);
    expect(await store.get('models/v/none')).toBeNull();
    for (const k of ['models/v/b', 'models/v/c&d', 'models/w/x', 'other'])
      await store.put(k, bytes, 'text/plain');
    expect(await store.list('models/')).toEqual([
      'models/v/a b.bin',
      'models/v/b',
      'models/v/c&d',
      'models/w/x',
    ]);
    await store.delete(['models/v/b', 'models/v/missing']);
    expect(await store.list('models/v/')).toEqual(['models/v/a b.bin', 'models/v/c&d']);
    const wrong = openR2Store({ ...env, R2_ACCESS_KEY_ID: 'nope' });
    await expect(wrong.get('models/v/b')).rejects.toThrow(
      /^R2 GET models\/v\/b: HTTP 403 <Error><Code>AccessDenied/,
    );
  });

  it('the publisher and prune run through it', async () => {
    objects.clear();
    const store = openR2Store(env);
    const shipped = manifestSchema.parse(
      JSON.parse(readFileSync(join('model/shipped', 'manifest.json'), 'utf8')),
    );
    await publishModel(store, 'model/shipped', { promote: true });
    expect(manifestSchema.parse(JSON.parse(objects.get('latest.json')!.toString())).version).toBe(
      shipped.version,
    );
    for (const f of shipped.files) {
      expect(sha256(objects.get(`models/${shipped.version}/${f.path}`)!)).toBe(f.sha256);
    }
    expect(await prune(store, 1, { dryRun: false, log: () => {} })).toEqual([]); // the promoted one stays
  });
});
