// Shared by the worker tests: the shipped model's real files, laid out in local R2 as the
// publisher lays them out.
import { env, SELF } from 'cloudflare:test';
import { inject } from 'vitest';
import { type Manifest, manifestSchema, r2Keys } from '../../contract/index.ts';

export const BASE = 'https://gan.example';

export function modelFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const f of inject('modelFiles')) {
    files.set(
      f.path,
      Uint8Array.from(atob(f.base64), (ch) => ch.charCodeAt(0)),
    );
  }
  return files;
}

export function shippedManifest(): Manifest {
  return manifestSchema.parse(JSON.parse(new TextDecoder().decode(modelFiles().get('manifest.json'))));
}

/** Puts a version's files and manifest into R2 (optionally under another version name). */
export async function publishVersion(version?: string, opts: { promote?: boolean } = {}): Promise<Manifest> {
  const files = modelFiles();
  const manifest = { ...shippedManifest(), ...(version ? { version } : {}) };
  for (const f of manifest.files)
    await env.MODELS.put(r2Keys.file(manifest.version, f.path), files.get(f.path)!);
  const json = JSON.stringify(manifest);
  await env.MODELS.put(r2Keys.manifest(manifest.version), json);
  if (opts.promote) await env.MODELS.put(r2Keys.latest, json);
  return manifest;
}

export async function clearBucket(): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await env.MODELS.list({ cursor });
    if (page.objects.length) await env.MODELS.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

export const get = (path: string, init?: RequestInit) => SELF.fetch(`${BASE}${path}`, init);

export async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return body.error;
}
