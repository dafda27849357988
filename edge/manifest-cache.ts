// Manifests kept in the isolate, so a request for the promoted model is answered from memory: R2 is
// asked again only once an entry is older than its time to live, and then with a conditional read
// (onlyIf etagDoesNotMatch: R2 sends no body when nothing changed, so nothing is parsed again).
// Only plain data is shared between requests, never a pending read: workerd cancels a request that
// waits on I/O another request started ("Cannot perform I/O on behalf of a different request", or
// as hung), so each request that finds its copy stale makes its own (cheap, conditional) read.
// Only valid manifests are kept: a missing or corrupt object is read again by the next request.
import type { Manifest } from '../contract/index.ts';

export interface Cached {
  manifest: Manifest;
  /** The R2 object's entity tag, quoted (the response's ETag). */
  etag: string;
  /** The R2 object's etag, bare (what onlyIf compares). */
  r2Etag: string;
  /** The manifest as JSON, serialized once. */
  json: string;
}

/** Parses a stored manifest object's text; throws the API's error when it breaks the contract. */
export type ParseManifest = (text: string, key: string) => Manifest;

interface Entry extends Cached {
  checkedAt: number;
}

export interface ManifestCacheOptions {
  /** How long an entry is served without asking R2, in milliseconds. */
  ttlMs: number;
  /** Entries kept per bucket; the least recently used goes first. */
  maxEntries: number;
  now?: () => number;
}

export class ManifestCache {
  readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  // Per bucket object: another binding (a test's stand-in, another environment) is another store.
  private buckets = new WeakMap<R2Bucket, Map<string, Entry>>();

  constructor(opts: ManifestCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The manifest stored at `key`, or null when there is none. `revalidate` (a client's no-cache)
   * asks R2 now, however fresh the entry; the read is still conditional.
   */
  async get(
    bucket: R2Bucket,
    key: string,
    parse: ParseManifest,
    { revalidate = false }: { revalidate?: boolean } = {},
  ): Promise<Cached | null> {
    const entries = this.entriesOf(bucket);
    const entry = entries.get(key);
    if (entry && !revalidate && this.now() - entry.checkedAt < this.ttlMs) {
      entries.delete(key); // most recently used last
      entries.set(key, entry);
      return entry;
    }
    return this.read(bucket, key, parse, entry);
  }

  /** Forgets every entry of every bucket (tests that rewrite the store behind the worker's back). */
  reset(): void {
    this.buckets = new WeakMap();
  }

  private async read(
    bucket: R2Bucket,
    key: string,
    parse: ParseManifest,
    entry: Entry | undefined,
  ): Promise<Cached | null> {
    const entries = this.entriesOf(bucket);
    const checkedAt = this.now();
    const obj = await bucket.get(key, entry ? { onlyIf: { etagDoesNotMatch: entry.r2Etag } } : {});
    // Concurrent reads may finish out of order: a copy read after this one started is newer.
    const current = entries.get(key);
    if (current && current !== entry && current.checkedAt > checkedAt) return current;
    if (!obj) {
      entries.delete(key);
      return null;
    }
    if (entry && !('body' in obj)) {
      // Not modified: the entry is good for another time to live.
      entry.checkedAt = Math.max(entry.checkedAt, checkedAt);
      return entry;
    }
    if (!('body' in obj)) throw new Error(`${key}: R2 sent no body for an unconditional read`);
    entries.delete(key); // a corrupt replacement must not leave the old one served
    const manifest = parse(await obj.text(), key);
    const fresh: Entry = {
      manifest,
      etag: obj.httpEtag,
      r2Etag: obj.etag,
      json: JSON.stringify(manifest),
      checkedAt,
    };
    entries.set(key, fresh);
    while (entries.size > this.maxEntries) entries.delete(entries.keys().next().value as string);
    return fresh;
  }

  private entriesOf(bucket: R2Bucket): Map<string, Entry> {
    const found = this.buckets.get(bucket);
    if (found) return found;
    const made = new Map<string, Entry>();
    this.buckets.set(bucket, made);
    return made;
  }
}
