// Reading the model contract out of R2. Everything read is validated: R2 is written by another
// program, and a bad object must become a clear 503, never a crash or a half-valid answer.
import { type Manifest, manifestSchema, r2Keys } from '../contract/index.ts';
import { HttpError } from './errors.ts';

const VERSION = manifestSchema.shape.version;

export interface StoredManifest {
  manifest: Manifest;
  /** The R2 object's entity tag (quoted). */
  etag: string;
}

async function readManifestObject(bucket: R2Bucket, key: string): Promise<StoredManifest | null> {
  const obj = await bucket.get(key);
  if (!obj) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await obj.text());
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
  return { manifest: result.data, etag: obj.httpEtag };
}

/** The promoted model's manifest (latest.json). */
export async function readLatest(bucket: R2Bucket): Promise<StoredManifest> {
  const latest = await readManifestObject(bucket, r2Keys.latest);
  if (!latest) throw new HttpError(404, 'no_model', 'No model has been published yet.');
  return latest;
}

/** What a version name that names no published version gets, malformed ones included. */
export const unknownVersion = (version: string): HttpError =>
  new HttpError(404, 'unknown_version', `There is no model version '${version.slice(0, 64)}'.`);

/** A version's manifest; unknown or malformed version names are simply not found. */
export async function readVersion(bucket: R2Bucket, version: string): Promise<StoredManifest> {
  if (!VERSION.safeParse(version).success) throw unknownVersion(version);
  const stored = await readManifestObject(bucket, r2Keys.manifest(version));
  if (!stored) throw unknownVersion(version);
  if (stored.manifest.version !== version) {
    throw new HttpError(503, 'corrupt_manifest', `${r2Keys.manifest(version)} names another version`);
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
      if (VERSION.safeParse(v).success) versions.push(v);
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return versions.sort().reverse();
}
