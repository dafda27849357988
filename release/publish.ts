// Publishing an exported model: shards, model.json, the version's manifest, and (promotion) the
// root latest.json last. Each object is read back and checked against the manifest before the next
// step, so a failure at any point leaves latest.json on a complete, verified version, and running
// the same publish again finishes the job.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentTypeOf, type Manifest, manifestSchema, r2Keys } from '../contract/index.ts';
import { sha256 } from '../lib/hash.ts';
import { verifyExport } from '../model/artifact.ts';
import { gate } from '../model/gate.ts';
import type { ObjectStore } from './store.ts';

export type PublishStep =
  | { kind: 'file'; key: string }
  | { kind: 'manifest'; key: string }
  | { kind: 'promote' };

export interface PublishOptions {
  promote: boolean;
  /** Promote even when the model is worse than the promoted one (else it is published unpromoted). */
  force?: boolean;
  /** How much worse (percent) than the promoted model a new one may be. */
  maxRegression?: number;
  log?: (line: string) => void;
  /** Test hook: called before each step; throwing there simulates a failure at that step. */
  beforeStep?: (step: PublishStep) => void | Promise<void>;
}

async function putVerified(store: ObjectStore, key: string, bytes: Uint8Array): Promise<void> {
  await store.put(key, bytes, contentTypeOf(key));
  const back = await store.get(key);
  if (!back) throw new Error(`${key}: missing right after upload to ${store.description}`);
  if (back.length !== bytes.length || sha256(back) !== sha256(bytes)) {
    throw new Error(`${key}: what ${store.description} holds does not match what was uploaded`);
  }
}

/** What promotion would replace, and whether the new model may replace it. */
interface PromotionCheck {
  previous: { version: string; fid: number } | null;
  /** Null when it may be promoted; else why not. */
  worseBecause: string | null;
}

/** Compares the model with the promoted one (before uploading anything). */
async function checkAgainstLatest(
  store: ObjectStore,
  manifest: Manifest,
  opts: PublishOptions,
  log: (line: string) => void,
): Promise<PromotionCheck> {
  const bytes = await store.get(r2Keys.latest);
  if (!bytes) {
    log('no promoted model yet: nothing to compare with');
    return { previous: null, worseBecause: null };
  }
  const current = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!current.success) {
    log(`${r2Keys.latest} is not a valid manifest: replacing it`);
    return { previous: null, worseBecause: null };
  }
  const previous = { version: current.data.version, fid: current.data.metrics.fid };
  if (current.data.version === manifest.version) return { previous, worseBecause: null };
  const result = gate(manifest.metrics, {
    baseline: current.data.metrics,
    maxRegression: opts.maxRegression ?? 5,
  });
  for (const line of result.lines) log(`compared with the promoted ${current.data.version}: ${line}`);
  if (result.passed) return { previous, worseBecause: null };
  const failed = result.lines.filter((l) => l.startsWith('FAIL')).map((l) => l.slice(5));
  return {
    previous,
    worseBecause: `worse than the promoted ${current.data.version} (${failed.join('; ')})`,
  };
}

/** What a publish did: the version uploaded, and whether it is now the one clients get. */
export interface PublishOutcome {
  manifest: Manifest;
  promoted: boolean;
  /** Why it was uploaded but not promoted; null when promoted. */
  notPromotedBecause: string | null;
  /** The model promoted before this publish (null: none), with its FID. */
  previous: { version: string; fid: number } | null;
}

/**
 * Publishes the exported model folder `dir` as its version and, with `promote`, makes it the one
 * clients get. A model worse than the promoted one is uploaded all the same (a version to look at,
 * listed by /v1/models) but not promoted, unless `force`: a GAN's scores vary from run to run, and
 * a weekly retrain that is a little worse is not a failure.
 */
export async function publishModel(
  store: ObjectStore,
  dir: string,
  opts: PublishOptions,
): Promise<PublishOutcome> {
  const log = opts.log ?? (() => {});
  const verified = verifyExport(dir);
  if (!verified.ok) throw new Error(`${dir}: not a valid export: ${verified.problems.join('; ')}`);
  const manifest = verified.manifest;
  const check = opts.promote
    ? await checkAgainstLatest(store, manifest, opts, log)
    : { previous: null, worseBecause: null };
  const promote = opts.promote && (check.worseBecause === null || opts.force === true);
  if (opts.promote && check.worseBecause !== null)
    log(
      opts.force
        ? `promoting it anyway (--force): ${check.worseBecause}`
        : `not promoting it: ${check.worseBecause}`,
    );
  // model.json after the shards it points at (the sample grid and loss chart with the shards); the
  // manifest after every file it lists.
  const ordered = [...manifest.files].sort(
    (a, b) => Number(a.path === 'model.json') - Number(b.path === 'model.json'),
  );
  for (const f of ordered) {
    const key = r2Keys.file(manifest.version, f.path);
    await opts.beforeStep?.({ kind: 'file', key });
    await putVerified(store, key, readFileSync(join(dir, f.path)));
    log(`uploaded ${key} (${f.bytes.toLocaleString('en-US')} bytes, sha256 ok)`);
  }
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const manifestKey = r2Keys.manifest(manifest.version);
  await opts.beforeStep?.({ kind: 'manifest', key: manifestKey });
  await putVerified(store, manifestKey, manifestBytes);
  log(`uploaded ${manifestKey}`);
  if (promote) {
    await opts.beforeStep?.({ kind: 'promote' });
    await putVerified(store, r2Keys.latest, manifestBytes);
    log(`promoted ${manifest.version} (${r2Keys.latest})`);
  }
  return {
    manifest,
    promoted: promote,
    notPromotedBecause: promote ? null : opts.promote ? check.worseBecause : 'promotion was not asked for',
    previous: check.previous,
  };
}
