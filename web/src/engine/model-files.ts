// Downloads a version's files, checks each one's size and sha256 against the manifest before
// anything else sees it, and keeps verified files in the Cache API under their hash: a repeat visit
// reads them from there (0 bytes downloaded), a new version downloads only files it does not share.
//
// On a first visit the downloads start as soon as the page's answer reaches the engine
// (`prefetchFiles`, from the answer as it came, unchecked), not once the manifest is checked: that
// check waits for the schema library, whose script the engine's thread evaluates after tfjs's. `loadFiles` takes the
// download of each file the checked manifest lists by the same name, size and hash, and verifies
// its bytes like any others; a download nobody takes is cancelled.
import type { Manifest } from '../../../contract/index.ts';
import { runtimeFiles } from '../../../contract/model-files.ts';
import { STALL_MS } from '../stall.ts';
import type { ManifestAnswer } from './api.ts';
import { sha256Hex } from './hex.ts';

const CACHE = 'mnist-gan-files-v1';

export class IntegrityError extends Error {}
export class StalledError extends Error {}

export interface Progress {
  loaded: number;
  total: number;
  fromCache: number;
}

/** A file as a manifest lists it. */
interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

const cacheKey = (f: FileEntry) => new Request(`/__verified-files/${f.sha256}`);
const fileUrl = (version: string, f: FileEntry) =>
  `/v1/models/${encodeURIComponent(version)}/${encodeURIComponent(f.path)}`;
const fileKey = (version: string, f: FileEntry) => `${fileUrl(version, f)} ${f.bytes} ${f.sha256}`;

async function verify(f: FileEntry, bytes: Uint8Array): Promise<boolean> {
  return bytes.length === f.bytes && (await sha256Hex(bytes)) === f.sha256;
}

/** Whether the verified files' cache exists (asked on the page, whose thread is free early). */
export async function hasFilesCache(): Promise<boolean> {
  try {
    return typeof caches !== 'undefined' && (await caches.has(CACHE));
  } catch {
    return false;
  }
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE);
  } catch {
    return null; // e.g. storage disabled: work without a cache
  }
}

async function download(
  url: string,
  f: FileEntry,
  onBytes: (n: number) => void,
  cancel: AbortSignal,
): Promise<Uint8Array> {
  const abort = new AbortController();
  const cancelled = () => abort.abort();
  cancel.addEventListener('abort', cancelled);
  let timer = setTimeout(() => abort.abort(), STALL_MS);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), STALL_MS);
  };
  try {
    const res = await fetch(url, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`${f.path}: HTTP ${res.status}`);
    const out = new Uint8Array(f.bytes);
    const reader = res.body.getReader();
    let at = 0;
    for (;;) {
      const { done, value } = await reader.read();
      alive();
      if (done) break;
      if (at + value.length > out.length) {
        await reader.cancel();
        throw new IntegrityError(`${f.path} is larger than the manifest says (${f.bytes} bytes).`);
      }
      out.set(value, at);
      at += value.length;
      onBytes(value.length);
    }
    return out.subarray(0, at);
  } catch (e) {
    if (abort.signal.aborted && !cancel.aborted)
      throw new StalledError(`${f.path}: nothing arrived for ${STALL_MS / 1000} s.`);
    throw e;
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener('abort', cancelled);
  }
}

/** One file's bytes on their way, from the cache or else the network; not verified yet. */
class FileFetch {
  private got = 0;
  private readonly listeners = new Set<(n: number) => void>();
  private readonly cancelled = new AbortController();
  readonly result: Promise<{ bytes: Uint8Array; cached: boolean }>;

  constructor(version: string, f: FileEntry, cache: Promise<Cache | null>, cachedOnly = false) {
    this.result = this.run(fileUrl(version, f), f, cache, cachedOnly);
    this.result.catch(() => {}); // its taker sees a failure; an untaken download fails unseen
  }

  /** Reports the bytes downloaded so far at once, then each chunk as it arrives. */
  follow(onBytes: (n: number) => void): void {
    if (this.got) onBytes(this.got);
    this.listeners.add(onBytes);
  }

  cancel(): void {
    this.cancelled.abort();
  }

  private bytes(n: number): void {
    this.got += n;
    for (const l of this.listeners) l(n);
  }

  private async run(url: string, f: FileEntry, cache: Promise<Cache | null>, cachedOnly: boolean) {
    const hit = await (await cache)?.match(cacheKey(f));
    if (hit) return { bytes: new Uint8Array(await hit.arrayBuffer()), cached: true };
    if (cachedOnly) throw new Error(`${f.path} is not in the cache.`);
    const signal = this.cancelled.signal;
    try {
      return { bytes: await download(url, f, (n) => this.bytes(n), signal), cached: false };
    } catch (e) {
      // A stalled download is tried once more (a phone's connection drops; a proxy hangs).
      if (!(e instanceof StalledError)) throw e;
      this.bytes(-this.got); // the progress bar starts this file again
      return { bytes: await download(url, f, (n) => this.bytes(n), signal), cached: false };
    }
  }
}

/** Downloads started before the manifest's check, by file (see the top of this file). */
export type Prefetched = Map<string, FileFetch>;

const isEntry = (f: unknown): f is FileEntry => {
  const e = f as Partial<FileEntry> | null;
  return typeof e?.path === 'string' && typeof e.sha256 === 'string' && Number.isSafeInteger(e.bytes);
};

/**
 * Starts the downloads of the runtime files of an answer that looks like a manifest (it is not
 * checked here), from the network: on a first visit there is no cache to look in, and looking
 * would wait for the engine's thread, busy evaluating scripts.
 */
export function prefetchFiles(answer: ManifestAnswer): Prefetched {
  const started: Prefetched = new Map();
  if (!('status' in answer) || answer.status !== 200) return started;
  let listed: { version?: unknown; files?: unknown };
  try {
    listed = JSON.parse(answer.body);
  } catch {
    return started;
  }
  const { version, files } = listed ?? {};
  if (typeof version !== 'string' || !Array.isArray(files) || !files.every(isEntry)) return started;
  for (const f of runtimeFiles({ files }))
    started.set(fileKey(version, f), new FileFetch(version, f, Promise.resolve(null)));
  return started;
}

/** The files the runtime needs (model.json and the shards, not the card's images), verified; from the cache where possible. */
export async function loadFiles(
  manifest: Manifest,
  onProgress: (p: Progress) => void,
  opts: { cachedOnly?: boolean; prefetched?: Prefetched } = {},
): Promise<Map<string, Uint8Array>> {
  const cache = openCache();
  const needed = runtimeFiles(manifest);
  const total = needed.reduce((s, f) => s + f.bytes, 0);
  const progress: Progress = { loaded: 0, total, fromCache: 0 };
  const files = new Map<string, Uint8Array>();
  // Once one file has failed, the others' downloads may still finish: their progress must not be
  // reported after the failure (it would replace the error the visitor should see).
  let failed = false;
  const report = () => {
    if (!failed) onProgress({ ...progress });
  };
  const onBytes = (n: number) => {
    progress.loaded += n;
    report();
  };
  const take = (f: FileEntry) => {
    const key = fileKey(manifest.version, f);
    const started = opts.prefetched?.get(key);
    opts.prefetched?.delete(key);
    const fetch = started ?? new FileFetch(manifest.version, f, cache, opts.cachedOnly);
    fetch.follow(onBytes);
    return fetch.result;
  };
  // All files at once: on a cold visit the shard and model.json download in parallel.
  await Promise.all(
    needed.map(async (f) => {
      let { bytes, cached } = await take(f);
      if (cached && !(await verify(f, bytes))) {
        await (await cache)?.delete(cacheKey(f)); // a damaged entry: fetch it again
        if (opts.cachedOnly) throw new Error(`${f.path} is damaged in the cache.`);
        const fresh = new FileFetch(manifest.version, f, Promise.resolve(null));
        fresh.follow(onBytes);
        ({ bytes, cached } = await fresh.result);
      }
      if (cached) {
        progress.loaded += f.bytes;
        progress.fromCache += f.bytes;
        report();
      } else {
        if (!(await verify(f, bytes))) {
          throw new IntegrityError(
            `${f.path} of ${manifest.version} does not match its manifest (size or sha256).`,
          );
        }
        await (await cache)?.put(cacheKey(f), new Response(bytes as Uint8Array<ArrayBuffer>));
      }
      files.set(f.path, bytes);
    }),
  ).catch((e: unknown) => {
    failed = true;
    throw e;
  });
  return files;
}

/** Cancels the downloads nobody took (the checked manifest listed other files, or none was needed). */
export function cancelUntaken(prefetched: Prefetched): void {
  for (const f of prefetched.values()) f.cancel();
  prefetched.clear();
}
