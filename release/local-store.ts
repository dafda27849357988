// The R2 bucket that `wrangler dev --local --persist-to <dir>` reads, written through Miniflare's
// own R2 implementation over the same persisted state (so the layout is always wrangler's).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import type { ObjectStore } from './store.ts';

export const DEFAULT_PERSIST_DIR = '.wrangler/state';

/** The MODELS bucket's name from wrangler.toml (the local state is keyed by it). */
export function modelsBucketName(wranglerToml = 'wrangler.toml'): string {
  const text = readFileSync(wranglerToml, 'utf8');
  const block = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"MODELS"[^[]*?bucket_name\s*=\s*"([^"]+)"/s.exec(text);
  if (!block)
    throw new Error(`${wranglerToml}: no [[r2_buckets]] entry with binding = "MODELS" and a bucket_name`);
  return block[1];
}

export async function openLocalStore(persistDir = DEFAULT_PERSIST_DIR): Promise<ObjectStore> {
  const bucketName = modelsBucketName();
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }) } }',
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
