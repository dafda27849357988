// As a third party: the shipped model (upgraded to the current manifest schema if older) published to a
// temporary local R2 and served by the real local worker; a standalone script that imports nothing
// of this repository (third-party-client.mjs) calls it from the manifest's model/inputs/output alone, and
// the project's classifier agrees with what it asked for.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA, manifestSchema } from '../../contract/index.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { runCli } from './cli-usage.ts';

const CLIENT = 'tests/integration/third-party-client.mjs';
const CLASSIFIER = 'model/classifier/shipped';
const PER_CLASS = 64;
const root = mkdtempSync(join(tmpdir(), 'third-party-'));
const model = join(root, 'model');
let worker: LocalWorker | undefined;

beforeAll(async () => {
  cpSync('model/shipped', model, { recursive: true });
  const schema = manifestSchema.parse(JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'))).schema;
  if (schema !== MANIFEST_SCHEMA) {
    const r = runCli('bin/export.ts', ['--upgrade', model]);
    if (r.status !== 0) throw new Error(`upgrade failed: ${r.stderr}`);
  }
  const store = await openLocalStore(join(root, 'state'));
  try {
    await publishModel(store, model, { promote: true });
  } finally {
    await store.close();
  }
  // The worker serves the page's build as assets; only its folder must exist here.
  if (!existsSync('web/dist/index.html'))
    spawnSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
  worker = await startLocalWorker({ persistDir: join(root, 'state') });
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('a third-party client', () => {
  it('imports nothing of this repository', () => {
    const text = readFileSync(CLIENT, 'utf8');
    const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec, spec).toMatch(/^(node:|@tensorflow\/tfjs-)/);
  });

  it(`calls the served model from its manifest alone: ${PER_CLASS} digits of each class, ≥ 95 % read as asked`, {
    timeout: 600_000,
  }, async () => {
    // Not spawnSync: the worker runs in this process and must keep answering.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLIENT, worker!.url, CLASSIFIER, String(PER_CLASS)],
      { timeout: 540_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      version: string;
      total: number;
      agreed: number;
      agreement: number;
      byClass: number[];
    };
    console.log(
      `third-party client: ${result.agreed}/${result.total} digits read as asked (${(result.agreement * 100).toFixed(1)} %), per class ${result.byClass.join(' ')}`,
    );
    const served = manifestSchema.parse(await (await fetch(`${worker!.url}/v1/model`)).json());
    expect(result.version).toBe(served.version);
    expect(result.total).toBe(10 * PER_CLASS);
    expect(result.byClass.length).toBe(10);
    expect(result.agreement).toBeGreaterThanOrEqual(0.95);
  });
});
