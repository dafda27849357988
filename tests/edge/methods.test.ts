// 405 answers come from the routes themselves: every path a registered route has answers the other
// methods with 405 and an Allow header naming what it has, and so does a route added to the app,
// with nothing else to edit.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { apiErrorSchema } from '../../contract/index.ts';
import { app, createApp } from '../../edge/app.ts';
import type { AppEnv } from '../../edge/env.ts';
import { BASE } from './helpers.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

async function send(target: Hono<AppEnv>, method: string, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await target.fetch(new Request(`${BASE}${path}`, { method }), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A path a route pattern matches: each parameter filled in. */
const concrete = (pattern: string) => pattern.replace(/:[^/]+/g, 'x');

async function expect405(target: Hono<AppEnv>, method: string, path: string, allow: string): Promise<void> {
  const res = await send(target, method, path);
  const what = `${method} ${path}`;
  expect(res.status, what).toBe(405);
  expect(res.headers.get('Allow'), what).toBe(allow);
  if (method === 'HEAD') return; // no body
  const body = apiErrorSchema.parse(await res.json());
  expect(body.error.code, what).toBe('method_not_allowed');
  expect(body.error.message, what).toContain(`${method} is not allowed here`);
}

describe('405 from the routes', () => {
  it('every registered route: the methods it lacks are 405, Allow names those it has', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const r of app.routes.filter((r) => r.method !== 'ALL')) {
      byPath.set(r.path, (byPath.get(r.path) ?? new Set()).add(r.method));
    }
    expect(byPath.size).toBeGreaterThan(4);
    for (const [pattern, registered] of byPath) {
      const path = concrete(pattern);
      const has = new Set(registered);
      if (has.has('GET')) has.add('HEAD');
      // OPTIONS belongs in Allow where something answers it (CORS, on the API).
      const preflight = await send(app, 'OPTIONS', path);
      await preflight.arrayBuffer();
      if (preflight.status !== 405) {
        expect(preflight.status, `OPTIONS ${path}`).toBe(204);
        has.add('OPTIONS');
      }
      const allow = METHODS.filter((m) => has.has(m)).join(', ');
      for (const method of METHODS.filter((m) => !has.has(m))) await expect405(app, method, path, allow);
    }
  });

  it('a route added to the app answers 405 to other methods, with nothing else edited', async () => {
    const extended = createApp();
    extended.get('/v1/extra/:name', (c) => c.json({ name: c.req.param('name') }));
    extended.post('/v1/extra/:name/runs', (c) => c.json({ started: true }, 202));
    extended.get('/status', (c) => c.text('up'));

    const ok = await send(extended, 'GET', '/v1/extra/a');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'a' });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
      await expect405(extended, method, '/v1/extra/a', 'GET, HEAD, OPTIONS');
    for (const method of ['GET', 'HEAD', 'DELETE'])
      await expect405(extended, method, '/v1/extra/a/runs', 'POST, OPTIONS');
    await expect405(extended, 'PUT', '/status', 'GET, HEAD');
    // Outside every route: still 404.
    const none = await send(extended, 'POST', '/v1/extra');
    expect(none.status).toBe(404);
    expect(apiErrorSchema.parse(await none.json()).error.code).toBe('not_found');
    // The worker's own app did not get them.
    expect((await send(app, 'GET', '/v1/extra/a')).status).toBe(404);
  });
});
