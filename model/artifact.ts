// The artifact's own verification: an exported folder is what its manifest says, file by file. Every
// stage after the export (evaluation of an export, the gate, publishing, re-exports) checks it first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, manifestSchema } from '../contract/index.ts';
import { errorMessage } from '../lib/errors.ts';
import { sha256 } from '../lib/hash.ts';

/** Checks an exported folder against its manifest: schema, then every file's size and sha256. */
export function verifyExport(
  dir: string,
): { ok: true; manifest: Manifest } | { ok: false; problems: string[] } {
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  } catch (e) {
    return {
      ok: false,
      problems: [`manifest.json: ${errorMessage(e).split('\n')[0]}`],
    };
  }
  const problems: string[] = [];
  for (const f of manifest.files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, f.path));
    } catch {
      problems.push(`${f.path}: missing`);
      continue;
    }
    if (bytes.length !== f.bytes) problems.push(`${f.path}: ${bytes.length} bytes, manifest says ${f.bytes}`);
    else if (sha256(bytes) !== f.sha256) problems.push(`${f.path}: sha256 does not match the manifest`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, manifest };
}
