// The R2 store's S3 calls against a loopback stand-in for R2's S3 API (real R2 needs an account):
// signed requests (SigV4), object round trips, paginated listing, deletes,
// clear errors; and the publisher running through it end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { publishModel } from '../../release/publish.ts';
import { openR2Store } from '../../release/r2-store.ts';
import { prune } from '../../release/versions.ts';
import { type S3StandIn, startS3StandIn } from './s3-stand-in.ts';

let s3: S3StandIn;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  s3 = await startS3StandIn({
    bucket: 'models-bucket',
    accessKeyId: 'test-key',
    secretAccessKey: 'test-secret',
  });
  env = {
    R2_ACCOUNT_ID: 'acct',
    R2_ACCESS_KEY_ID: 'test-key',
    R2_SECRET_ACCESS_KEY: 'test-secret',
    R2_BUCKET: 'models-bucket',
    R2_ENDPOINT: s3.url,
  };
});
afterAll(() => s3.close());

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
    const put = s3.seen[s3.seen.length - 1];
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
    s3.objects.clear();
    const store = openR2Store(env);
    const shipped = manifestSchema.parse(
      JSON.parse(readFileSync(join('model/shipped', 'manifest.json'), 'utf8')),
    );
    await publishModel(store, 'model/shipped', { promote: true });
    expect(manifestSchema.parse(JSON.parse(s3.objects.get('latest.json')!.toString())).version).toBe(
      shipped.version,
    );
    for (const f of shipped.files) {
      expect(sha256(s3.objects.get(`models/${shipped.version}/${f.path}`)!)).toBe(f.sha256);
    }
    expect(await prune(store, 1, { dryRun: false, log: () => {} })).toEqual([]); // the promoted one stays
  });
});
