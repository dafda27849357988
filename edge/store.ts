// Reading the model contract out of R2. Everything read is validated: R2 is written by another
// program, and a bad object must become a clear 503, never a crash or a half-valid answer. Valid
// manifests are kept in the isolate for a few seconds (manifest-cache.ts).
import { MANIFEST_TTL_SECONDS, manifestSchema, r2Keys, versionSchema } from '../contract/index.ts';
import { HttpError } from './errors.ts';
import { type Cached, ManifestCache, type ParseManifest } from './manifest-cache.ts';

export { MANIFEST_TTL_SECONDS };

/**
 * The promoted manifest and the version manifests the routes read, shared by all requests of an
 * isolate: answered from memory for MANIFEST_TTL_SECONDS, then asked of R2 again (conditionally).
 */
export const manifests = new ManifestCache({ ttlMs: MANIFEST_TTL_SECONDS * 1000, maxEntries: 128 });

export type StoredManifest = Cached;

const parseManifest: ParseManifest = (text, key) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(503, 'corrupt_manifest', `${key} in the model store is not valid JSON`);
  }
  const result = manifestSchema.safeParse(parsed);
  if (!result.success) {
    const where = result.error.issues[0]?.path.join('.') || '(root)';
    throw new HttpError(
      503,
      'corrupt_manifest',
      `${key} in the model store does not follow the contract (${where})`,
    );
  }
  return result.data;
};

export interface ReadOptions {
  /** Ask R2 now (a client's no-cache), however fresh the copy in memory. */
  revalidate?: boolean;
}

/** The promoted model's manifest (latest.json). */
export async function readLatest(bucket: R2Bucket, opts: ReadOptions = {}): Promise<StoredManifest> {
  const latest = await manifests.get(bucket, r2Keys.latest, parseManifest, opts);
  if (!latest) throw new HttpError(404, 'no_model', 'No model has been published yet.');
  return latest;
}

/** What a version name that names no published version gets, malformed ones included. */
export const unknownVersion = (version: string): HttpError =>
  new HttpError(404, 'unknown_version', `There is no model version '${version.slice(0, 64)}'.`);

/** A version's manifest; unknown or malformed version names are simply not found. */
export async function readVersion(
  bucket: R2Bucket,
  version: string,
  opts: ReadOptions = {},
): Promise<StoredManifest> {
  if (!versionSchema.safeParse(version).success) throw unknownVersion(version);
  const key = r2Keys.manifest(version);
  const stored = await manifests.get(bucket, key, parseManifest, opts);
  if (!stored) throw unknownVersion(version);
  if (stored.manifest.version !== version) {
    throw new HttpError(503, 'corrupt_manifest', `${key} names another version`);
  }
  return stored;
}

/** Every version folder in the bucket, newest first (version names sort by time). */
export async function listVersions(bucket: R2Bucket): Promise<string[]> {
  const versions: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: r2Keys.versionPrefix, delimiter: '/', cursor });
    for (const p of page.delimitedPrefixes) {
      const v = p.slice(r2Keys.versionPrefix.length, -1);
      if (versionSchema.safeParse(v).success) versions.push(v);
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return versions.sort().reverse();
}
