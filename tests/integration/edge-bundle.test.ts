// The deployable worker: `wrangler deploy --dry-run` bundles it (no account, no network), and that
// very bundle, run in workerd by Miniflare, serves an OpenAPI document a real validator accepts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { offlineWranglerEnv } from '../../release/wrangler-env.ts';

const outdir = mkdtempSync(join(tmpdir(), 'edge-bundle-'));
let mf: Miniflare | undefined;
afterAll(async () => {
  await mf?.dispose();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the worker bundle', () => {
  it('wrangler deploy --dry-run bundles it; size printed', () => {
    execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
    execFileSync('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outdir], {
      encoding: 'utf8',
      env: { ...process.env, ...offlineWranglerEnv(outdir) },
    });
    const bundle = join(outdir, 'index.js');
    const bytes = statSync(bundle).size;
    console.log(`worker bundle: ${(bytes / 1024).toFixed(1)} KiB (${readdirSync(outdir).join(', ')})`);
    expect(bytes).toBeGreaterThan(10_000);
    // 956.2 KiB on 2026-11-30 (mostly zod and Hono's OpenAPI); 10 % of growth is the budget.
    expect(bytes).toBeLessThan(Math.round(956.2 * 1024 * 1.1));
  });

  it('serves a valid OpenAPI 3.1 document listing every route', async () => {
    mf = new Miniflare({
      modules: true,
      scriptPath: join(outdir, 'index.js'),
      modulesRoot: outdir,
      compatibilityDate: '2026-04-20',
      r2Buckets: ['MODELS'],
      durableObjects: { RETRAIN_LIMITER: 'RetrainLimiter' },
      bindings: { GITHUB_API: 'http://127.0.0.1:9', RETRAIN_INTERVAL_SECONDS: '600' },
    });
    const res = await mf.dispatchFetch('http://localhost/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/v1/model',
        '/v1/models',
        '/v1/models/{version}',
        '/v1/models/{version}/{file}',
        '/v1/retrain',
      ].sort(),
    );
    // The bundle really runs: no model yet is the documented 404.
    const model = await mf.dispatchFetch('http://localhost/v1/model');
    expect(model.status).toBe(404);
    expect(await model.json()).toEqual({
      error: { code: 'no_model', message: 'No model has been published yet.' },
    });
  });
});
