import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Flushes a file or folder to disk so a rename that follows cannot overtake the data. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes to a temporary name in the same folder, flushes, then renames over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${process.pid}.tmp-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(tmp, data);
  fsyncPath(tmp);
  renameSync(tmp, path);
  fsyncPath(dirname(path));
}

/** Where replaceDir keeps the previous folder between its two renames. */
export const previousDir = (target: string): string => `${target}.old`;
const tmpPrefix = (target: string): string => `.${basename(target)}-tmp-`;

function fsyncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(path);
    else fsyncPath(path);
  }
  fsyncPath(dir);
}

/**
 * Replaces the folder `target` by one that `fill` writes into a fresh temporary folder beside it:
 * flushed, then renamed into place, the old one set aside as `<target>.old` until the new one is in.
 * A kill at any moment leaves the old folder or the new one, whole: at `target`, or (between the
 * two renames) at `<target>.old`, where readableDir finds it. If `fill` throws, `target` is
 * untouched. Temporary folders of killed writers are removed first (one writer per target).
 */
export function replaceDir(target: string, fill: (tmp: string) => void): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const prefix = tmpPrefix(target);
  for (const stale of readdirSync(parent).filter((f) => f.startsWith(prefix))) {
    rmSync(join(parent, stale), { recursive: true, force: true });
  }
  const tmp = join(parent, `${prefix}${process.pid}`);
  mkdirSync(tmp);
  try {
    fill(tmp);
    fsyncTree(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const previous = previousDir(target);
  if (existsSync(target)) {
    rmSync(previous, { recursive: true, force: true });
    renameSync(target, previous);
  }
  renameSync(tmp, target);
  fsyncPath(parent);
  rmSync(previous, { recursive: true, force: true });
}

/**
 * The folder replaceDir last completed for `target`: `target` itself, or `<target>.old` when a kill
 * landed between its two renames; null when neither holds `marker` (a file every complete one has).
 */
export function readableDir(target: string, marker: string): string | null {
  return [target, previousDir(target)].find((dir) => existsSync(join(dir, marker))) ?? null;
}
