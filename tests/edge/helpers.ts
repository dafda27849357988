// Shared by the worker tests: the shipped model's real files (a current export, global-setup.ts),
// laid out in local R2 as the publisher lays them out, under any manifest schema.
import { env, SELF } from 'cloudflare:test';
import { inject } from 'vitest';
import {
  type Manifest,
  type ManifestV1,
  type ManifestV2,
  type ManifestV3,
  manifestV3Schema,
  r2Keys,
  runtimeFiles,
} from '../../contract/index.ts';
import { manifests } from '../../edge/store.ts';

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

export function shippedManifest(): ManifestV3 {
  return manifestV3Schema.parse(JSON.parse(new TextDecoder().decode(modelFiles().get('manifest.json'))));
}

/** The same model as an exporter before schema 3 described it: no `model`, inputs without order or values. */
export function asSchema2(m: ManifestV3): ManifestV2 {
  const { model: _, inputs, ...rest } = m;
  return { ...rest, schema: 2, inputs: inputs.map(({ order: _o, values: _v, ...input }) => input) };
}

/** The same model as an exporter before schema 2 described it. */
export function asSchema1(m: ManifestV3): ManifestV1 {
  const { height, width, channels, range } = m.output;
  return {
    schema: 1,
    name: m.name,
    version: m.version,
    createdAt: m.createdAt,
    preset: m.preset,
    latentDim: m.latentDim,
    classes: m.classes,
    output: { height, width, channels, range },
    quantization: m.quantization,
    files: runtimeFiles(m),
    metrics: m.metrics,
    training: m.training,
  };
}

/** Puts a version's files and manifest into R2 (optionally under another version name or an older schema). */
export async function publishVersion(
  version?: string,
  opts: { promote?: boolean; schema?: 1 | 2 | 3 } = {},
): Promise<Manifest> {
  const files = modelFiles();
  const shipped = shippedManifest();
  const described = opts.schema === 1 ? asSchema1(shipped) : opts.schema === 2 ? asSchema2(shipped) : shipped;
  const manifest: Manifest = { ...described, ...(version ? { version } : {}) };
  for (const f of manifest.files)
    await env.MODELS.put(r2Keys.file(manifest.version, f.path), files.get(f.path)!);
  const json = JSON.stringify(manifest);
  await env.MODELS.put(r2Keys.manifest(manifest.version), json);
  if (opts.promote) await env.MODELS.put(r2Keys.latest, json);
  return manifest;
}

/** Empties the bucket and the worker's copies of what it held. */
export async function clearBucket(): Promise<void> {
  manifests.reset();
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
