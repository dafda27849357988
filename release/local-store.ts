// The R2 bucket that the local worker reads (`startLocalWorker` with the same persist folder),
// written through Miniflare's own R2 implementation over the same persisted state (so the layout is
// always wrangler's). Only the bucket is started: the worker's Durable Object is not needed here.
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { unstable_readConfig } from 'wrangler';
import type { ObjectStore } from './store.ts';
import { DEFAULT_PERSIST_DIR, useOfflineWrangler, WRANGLER_CONFIG } from './wrangler-env.ts';

export { DEFAULT_PERSIST_DIR };

/** The MODELS bucket's name in wrangler.toml (the local state is keyed by it), read by wrangler itself. */
export function modelsBucketName(): string {
  const buckets: { binding: string; bucket_name?: string }[] = unstable_readConfig({
    config: WRANGLER_CONFIG,
  }).r2_buckets;
  const bucket = buckets.find((b) => b.binding === 'MODELS');
  if (!bucket?.bucket_name)
    throw new Error(`${WRANGLER_CONFIG}: no [[r2_buckets]] entry with binding = "MODELS"`);
  return bucket.bucket_name;
}

export async function openLocalStore(persistDir = DEFAULT_PERSIST_DIR): Promise<ObjectStore> {
  useOfflineWrangler();
  const bucketName = modelsBucketName();
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }) } }',
    // `wrangler dev --persist-to X` keeps its state in X/v3.
    defaultPersistRoot: join(persistDir, 'v3'),
    r2Buckets: { MODELS: bucketName },
  });
  const bucket = await mf.getR2Bucket('MODELS');
  return {
    description: `local R2 bucket ${bucketName} in ${persistDir}`,
    async put(key, bytes, contentType) {
      // Miniflare's put takes a Uint8Array view, not a Node Buffer.
      await bucket.put(key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        httpMetadata: { contentType },
      });
    },
    async get(key) {
      const obj = await bucket.get(key);
      return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
    },
    async list(prefix) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, cursor });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
    },
    close: () => mf.dispose(),
  };
}
