// /v1/openapi.json against the app itself: every route the app answers (from app.routes, not a list
// written here) is documented, and documented with exactly the statuses it answers. Each route is
// driven through each of its outcomes below, so a route or a status added without its documentation,
// or documented but never answered, fails this file.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { r2Keys } from '../../contract/index.ts';
import { app } from '../../edge/app.ts';
import type { Env } from '../../edge/env.ts';
import worker from '../../edge/index.ts';
import { OPENAPI_PATH } from '../../edge/openapi.ts';
import { gitHubStandIn, run } from './github-client.ts';
import { BASE, errorOf, publishVersion, shippedManifest } from './helpers.ts';

interface Operation {
  description?: string;
  responses: Record<string, unknown>;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const RETRAIN_TOKEN = 'test-retrain-token-7f3a'; // vitest.edge.config.ts
const CORRUPT = '20990101T000000Z-0000dead'; // a version whose manifest is not JSON
const INCOMPLETE = '20990101T000000Z-0000beef'; // a version whose store lacks a file it names

/** `GET /v1/models/:version` for every route the app registered (middleware and the 404/405 fallback aside). */
const appRoutes = (): Set<string> =>
  new Set(
    app.routes
      .filter((r) => r.method !== 'ALL' && r.path !== OPENAPI_PATH) // the document does not describe itself
      .map((r) => `${r.method} ${r.path}`),
  );

const openApiPath = (honoPath: string) => honoPath.replace(/:([^/]+)/g, '{$1}');

/** The route the app's own router picks for a request, if a route (not only middleware) answers it. */
function routeOf(method: string, path: string): string | undefined {
  // Hono answers HEAD with the GET route.
  const [matches] = app.router.match(method === 'HEAD' ? 'GET' : method, path);
  const route = matches.map(([[, r]]) => r).find((r) => r.method !== 'ALL');
  return route && `${route.method} ${route.path}`;
}

/** Statuses each route answered across this file's requests. */
const answered = new Map<string, Set<number>>();

async function call(path: string, init: RequestInit = {}, bindings: Partial<Env> = {}): Promise<Response> {
  const request = new Request(`${BASE}${path}`, init);
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  const route = routeOf(request.method, new URL(request.url).pathname);
  if (route) answered.set(route, (answered.get(route) ?? new Set()).add(res.status));
  return res;
}

async function expectStatus(res: Response | Promise<Response>, status: number, code?: string): Promise<void> {
  const r = await res;
  expect(r.status, r.url).toBe(status);
  if (code) expect((await errorOf(r)).code).toBe(code);
  else await r.arrayBuffer();
}

/** A binding whose every call fails, as R2 or a Durable Object does in an outage. */
const unavailable = <T extends object>(what: string): T =>
  new Proxy({} as T, {
    get: () => () => {
      throw new Error(`${what} is unavailable`);
    },
  });

/** This file's own repository at the GitHub stand-in, apart from retrain.test.ts's. */
const GITHUB_OWNER = 'openapi-doc';
const github = gitHubStandIn(GITHUB_OWNER);

const retrain = (body: string, headers: Record<string, string> = {}, bindings: Partial<Env> = {}) =>
  call(
    '/v1/retrain',
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${RETRAIN_TOKEN}`, ...headers },
      body,
    },
    { GITHUB_OWNER, ...bindings },
  );

let doc: Doc;
beforeAll(async () => {
  const res = await call(OPENAPI_PATH);
  expect(res.status).toBe(200);
  doc = await res.json();
});

describe('/v1/openapi.json', () => {
  it('documents every route the app answers, and only those', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routes = [...appRoutes()].map((r) => {
      const [method, path] = r.split(' ');
      return `${method} ${openApiPath(path)}`;
    });
    expect(routes.length).toBeGreaterThan(0);
    expect(documented.sort()).toEqual(routes.sort());
    // Every reference points into the document.
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(doc.components?.schemas?.[name], name).toBeDefined();
    }
  });

  it('documents every manifest schema, 2 and 3 with how to call the model', () => {
    const text = JSON.stringify(doc.paths['/v1/model'].get.responses['200']);
    for (const field of [
      '"inputs"',
      '"distribution"',
      '"encoding"',
      '"layout"',
      '"NHWC"',
      '"pixels"',
      '"card"',
      '"perClassAccuracy"',
      '"dequantize"',
      '"tfjs-layers"',
      '"order"',
      '"values"',
    ]) {
      expect(text, field).toContain(field);
    }
    // oneOf schema 1 | schema 2 | schema 3
    expect(text).toContain('"schema":{"type":"number","enum":[1]}');
    expect(text).toContain('"schema":{"type":"number","enum":[2]}');
    expect(text).toContain('"schema":{"type":"number","enum":[3]}');
    expect(JSON.stringify(doc.paths['/v1/model'].get)).toContain('within 5 s');
  });

  it('every route, through each of its outcomes', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {}); // the 500s log their cause
    const downR2 = { MODELS: unavailable<R2Bucket>('R2') };
    const shard = shippedManifest().files.find((f) => f.path.endsWith('.bin'))!.path;

    await expectStatus(call('/healthz'), 200);

    // GET /v1/model
    await expectStatus(call('/v1/model'), 404, 'no_model');
    const m = await publishVersion(undefined, { promote: true });
    const res = await call('/v1/model');
    await expectStatus(res, 200);
    await expectStatus(call('/v1/model', { headers: { 'If-None-Match': res.headers.get('ETag')! } }), 304);
    await expectStatus(call('/v1/model', {}, downR2), 500, 'internal');

    // GET /v1/models
    await expectStatus(call('/v1/models'), 200);
    await expectStatus(call('/v1/models?limit=0'), 400, 'invalid_query');
    await expectStatus(call('/v1/models', {}, downR2), 500, 'internal');

    // GET /v1/models/:version
    await env.MODELS.put(r2Keys.manifest(CORRUPT), '{not json');
    await expectStatus(call(`/v1/models/${m.version}`), 200);
    await expectStatus(call('/v1/models/20990101T000000Z-00000000'), 404, 'unknown_version');
    await expectStatus(call('/v1/models/latest'), 404, 'unknown_version');
    await expectStatus(call(`/v1/models/${CORRUPT}`), 503, 'corrupt_manifest');
    await expectStatus(call(`/v1/models/${m.version}`, {}, downR2), 500, 'internal');

    // GET/HEAD /v1/models/:version/:file
    await publishVersion(INCOMPLETE);
    await env.MODELS.delete(r2Keys.file(INCOMPLETE, shard));
    const file = `/v1/models/${m.version}/${shard}`;
    const whole = await call(file);
    await expectStatus(whole, 200);
    await expectStatus(call(file, { method: 'HEAD' }), 200);
    await expectStatus(call(file, { headers: { Range: 'bytes=0-9' } }), 206);
    await expectStatus(call(file, { headers: { 'If-None-Match': whole.headers.get('ETag')! } }), 304);
    await expectStatus(call(`/v1/models/${m.version}/secret.bin`), 404, 'unknown_file');
    await expectStatus(call(`/v1/models/latest/${shard}`), 404, 'unknown_version');
    await expectStatus(call(file, { headers: { Range: 'bytes=-0' } }), 416, 'range_not_satisfiable');
    await expectStatus(call(`/v1/models/${CORRUPT}/model.json`), 503, 'corrupt_manifest');
    await expectStatus(call(`/v1/models/${INCOMPLETE}/${shard}`), 503, 'missing_file');
    await expectStatus(call(file, { headers: { Range: 'bytes=0-9' } }, downR2), 500, 'internal');

    // A corrupt latest.json, last: the routes above need the promoted model.
    await env.MODELS.put(r2Keys.latest, '[]');
    // (no-cache: the worker's copy of the good one is still fresh)
    await expectStatus(
      call('/v1/model', { headers: { 'Cache-Control': 'no-cache' } }),
      503,
      'corrupt_manifest',
    );

    // POST /v1/retrain
    await github.setRuns([]);
    await expectStatus(retrain('{}', {}, { RETRAIN_TOKEN: undefined }), 503, 'retrain_disabled');
    await expectStatus(retrain('{}', { Authorization: '' }), 401, 'unauthorized');
    await expectStatus(retrain(JSON.stringify({ pad: 'x'.repeat(5000) })), 413, 'body_too_large');
    await expectStatus(retrain('{oops'), 400, 'invalid_json');
    await expectStatus(retrain('{"preset":"huge"}'), 400, 'invalid_request');
    await expectStatus(retrain('{}', {}, { GITHUB_TOKEN: undefined }), 503, 'retrain_disabled');
    await expectStatus(
      retrain('{}', {}, { RETRAIN_LIMITER: unavailable<Env['RETRAIN_LIMITER']>('The limiter') }),
      500,
      'internal',
    );
    await github.nextReply('POST', 422, { message: 'Unexpected inputs provided' });
    await expectStatus(retrain('{}'), 502, 'github_error'); // and the slot is given back
    await github.setRuns([run(7, 'in_progress')]);
    await expectStatus(retrain('{}'), 409, 'run_in_progress'); // and the slot is given back
    await github.setRuns([]);
    await expectStatus(retrain('{}'), 202);
    await expectStatus(retrain('{}'), 429, 'rate_limited');
    quiet.mockRestore();
  });

  it('documents, for each route, exactly the statuses it answered', () => {
    for (const route of appRoutes()) {
      const [method, path] = route.split(' ');
      const op = doc.paths[openApiPath(path)]?.[method.toLowerCase()];
      const documented = Object.keys(op?.responses ?? {})
        .map(Number)
        .sort((a, b) => a - b);
      const seen = [...(answered.get(route) ?? [])].sort((a, b) => a - b);
      expect(seen, `${route}: statuses answered (left) vs documented (right)`).toEqual(documented);
    }
  });
});
