// Cloudflare R2 through its S3-compatible API (aws4fetch signs the requests). Credentials come from
// the environment: R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, R2_BUCKET (and optionally
// R2_ENDPOINT, e.g. for an S3-compatible test server).
import { AwsClient } from 'aws4fetch';
import type { ObjectStore } from './store.ts';

export const R2_ENV = ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'] as const;

export function hasR2Credentials(env: NodeJS.ProcessEnv = process.env): boolean {
  return R2_ENV.every((k) => !!env[k]);
}

export function openR2Store(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  const missing = R2_ENV.filter((k) => !env[k]);
  if (missing.length) throw new Error(`--target r2 needs ${missing.join(', ')} in the environment`);
  const endpoint = (env.R2_ENDPOINT ?? `https://${env.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`).replace(
    /\/+$/,
    '',
  );
  const bucket = env.R2_BUCKET as string;
  const client = new AwsClient({
    accessKeyId: env.R2_ACCESS_KEY_ID as string,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY as string,
    service: 's3',
    region: 'auto',
  });
  const url = (key: string) => `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const fail = async (what: string, key: string, res: Response) => {
    const body = (await res.text()).slice(0, 300).replace(/\s+/g, ' ');
    return new Error(`R2 ${what} ${key}: HTTP ${res.status} ${body}`);
  };
  return {
    description: `R2 bucket ${bucket}`,
    async put(key, bytes, contentType) {
      const res = await client.fetch(url(key), {
        method: 'PUT',
        body: bytes as Uint8Array<ArrayBuffer>,
        headers: { 'Content-Type': contentType },
      });
      if (!res.ok) throw await fail('PUT', key, res);
    },
    async get(key) {
      const res = await client.fetch(url(key));
      if (res.status === 404) return null;
      if (!res.ok) throw await fail('GET', key, res);
      return new Uint8Array(await res.arrayBuffer());
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ 'list-type': '2', prefix });
        if (token) q.set('continuation-token', token);
        const res = await client.fetch(`${endpoint}/${bucket}?${q}`);
        if (!res.ok) throw await fail('LIST', prefix, res);
        const xml = await res.text();
        const xmlText = (s: string) =>
          s
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&quot;/g, '"')
            .replace(/&apos;/g, "'")
            .replace(/&amp;/g, '&');
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(xmlText(m[1]));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined;
      } while (token);
      return keys;
    },
    async delete(keys) {
      for (const key of keys) {
        const res = await client.fetch(url(key), { method: 'DELETE' });
        if (!res.ok && res.status !== 404) throw await fail('DELETE', key, res);
      }
    },
    async close() {},
  };
}
