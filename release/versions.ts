// Rollback and pruning over the published versions of a store.
import { isVersion, type Manifest, manifestSchema, r2Keys } from '../contract/index.ts';
import { sha256 } from '../lib/hash.ts';
import type { ObjectStore } from './store.ts';

async function readManifest(
  store: ObjectStore,
  key: string,
): Promise<{ manifest: Manifest; bytes: Uint8Array } | null> {
  const bytes = await store.get(key);
  if (!bytes) return null;
  const parsed = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new Error(`${key} is not a valid manifest`);
  return { manifest: parsed.data, bytes };
}

/** The promoted version, or null. */
export async function promotedVersion(store: ObjectStore): Promise<string | null> {
  try {
    return (await readManifest(store, r2Keys.latest))?.manifest.version ?? null;
  } catch {
    return null;
  }
}

/** Re-points latest.json to an existing version after checking every one of its files. */
export async function rollback(
  store: ObjectStore,
  version: string,
  log: (l: string) => void,
): Promise<Manifest> {
  const found = await readManifest(store, r2Keys.manifest(version));
  if (!found) throw new Error(`there is no version ${version} in ${store.description}`);
  for (const f of found.manifest.files) {
    const bytes = await store.get(r2Keys.file(version, f.path));
    if (!bytes) throw new Error(`version ${version} is incomplete: ${f.path} is missing`);
    if (bytes.length !== f.bytes || sha256(bytes) !== f.sha256)
      throw new Error(`version ${version} is damaged: ${f.path} does not match its manifest`);
  }
  log(`verified ${found.manifest.files.length} files of ${version}`);
  await store.put(r2Keys.latest, found.bytes, 'application/json');
  const back = await store.get(r2Keys.latest);
  if (!back || sha256(back) !== sha256(found.bytes))
    throw new Error(`${r2Keys.latest} did not read back as written`);
  return found.manifest;
}

/** Deletes every version but the newest `keep` and the promoted one. Returns the deleted versions. */
export async function prune(
  store: ObjectStore,
  keep: number,
  opts: { dryRun: boolean; log: (l: string) => void },
): Promise<string[]> {
  const keys = await store.list(r2Keys.versionPrefix);
  const byVersion = new Map<string, string[]>();
  for (const key of keys) {
    // models/<version>/<file>; anything else under the prefix is not ours to prune.
    const v = key.slice(r2Keys.versionPrefix.length).split('/')[0];
    if (key.startsWith(r2Keys.versionPrefix) && isVersion(v))
      byVersion.set(v, [...(byVersion.get(v) ?? []), key]);
  }
  const promoted = await promotedVersion(store);
  const newestFirst = [...byVersion.keys()].sort().reverse();
  const doomed = newestFirst.slice(keep).filter((v) => v !== promoted);
  for (const v of doomed) {
    opts.log(`${opts.dryRun ? 'would delete' : 'deleting'} ${v} (${byVersion.get(v)?.length} objects)`);
    if (!opts.dryRun) await store.delete(byVersion.get(v) ?? []);
  }
  return doomed;
}
