import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import type { AppEnv } from '../env.ts';
import { jsonBody } from '../openapi.ts';

const route = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness',
  responses: { 200: jsonBody('The worker runs', z.object({ ok: z.literal(true) })) },
});

/** Liveness: the worker runs. It does not touch R2, so a store outage does not look like a dead worker. */
export const health = new OpenAPIHono<AppEnv>().openapi(route, (c) => c.json({ ok: true as const }, 200));
