// Downloads a version's files, checks each one's size and sha256 against the manifest before
// anything else sees it, and keeps verified files in the Cache API under their hash: a repeat visit
// reads them from there (0 bytes downloaded), a new version downloads only files it does not share.
import { type Manifest, type ModelFile, runtimeFiles } from '../../../contract/index.ts';
import { STALL_MS } from '../stall.ts';
import { sha256Hex } from './hex.ts';

const CACHE = 'mnist-gan-files-v1';

export class IntegrityError extends Error {}

export interface Progress {
  loaded: number;
  total: number;
  fromCache: number;
}

const cacheKey = (f: ModelFile) => new Request(`/__verified-files/${f.sha256}`);

async function verify(f: ModelFile, bytes: Uint8Array): Promise<boolean> {
  return bytes.length === f.bytes && (await sha256Hex(bytes)) === f.sha256;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE);
  } catch {
    return null; // e.g. storage disabled: work without a cache
  }
}

export class StalledError extends Error {}

async function download(url: string, f: ModelFile, onBytes: (n: number) => void): Promise<Uint8Array> {
  const abort = new AbortController();
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
    if (abort.signal.aborted) throw new StalledError(`${f.path}: nothing arrived for ${STALL_MS / 1000} s.`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** A stalled download is tried once more (a phone's connection drops; a proxy hangs). */
async function downloadWithRetry(
  url: string,
  f: ModelFile,
  onBytes: (n: number) => void,
): Promise<Uint8Array> {
  let got = 0;
  try {
    return await download(url, f, (n) => {
      got += n;
      onBytes(n);
    });
  } catch (e) {
    if (!(e instanceof StalledError)) throw e;
    onBytes(-got); // the progress bar starts this file again
    return download(url, f, onBytes);
  }
}

/** The files the runtime needs (model.json and the shards, not the card's images), verified; from the cache where possible. */
export async function loadFiles(
  manifest: Manifest,
  onProgress: (p: Progress) => void,
  opts: { cachedOnly?: boolean } = {},
): Promise<Map<string, Uint8Array>> {
  const cache = await openCache();
  const needed = runtimeFiles(manifest);
  const total = needed.reduce((s, f) => s + f.bytes, 0);
  const progress: Progress = { loaded: 0, total, fromCache: 0 };
  const files = new Map<string, Uint8Array>();
  // Once one file has failed, the others' downloads may still finish: their progress must not be
  // reported after the failure (it would replace the error the visitor should see).
  let failed = false;
  const report = (p: Progress) => {
    if (!failed) onProgress(p);
  };
  // All files at once: on a cold visit the shard and model.json download in parallel.
  await Promise.all(
    needed.map(async (f) => {
      const hit = await cache?.match(cacheKey(f));
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        if (await verify(f, bytes)) {
          files.set(f.path, bytes);
          progress.loaded += f.bytes;
          progress.fromCache += f.bytes;
          report({ ...progress });
          return;
        }
        await cache?.delete(cacheKey(f)); // a damaged entry: fetch it again
      }
      if (opts.cachedOnly) throw new Error(`${f.path} is not in the cache.`);
      const url = `/v1/models/${manifest.version}/${encodeURIComponent(f.path)}`;
      const bytes = await downloadWithRetry(url, f, (n) => {
        progress.loaded += n;
        report({ ...progress });
      });
      if (!(await verify(f, bytes))) {
        throw new IntegrityError(
          `${f.path} of ${manifest.version} does not match its manifest (size or sha256).`,
        );
      }
      files.set(f.path, bytes);
      await cache?.put(cacheKey(f), new Response(bytes as Uint8Array<ArrayBuffer>));
    }),
  ).catch((e: unknown) => {
    failed = true;
    throw e;
  });
  return files;
}
