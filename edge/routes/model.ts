import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { manifestSchema } from '../../contract/index.ts';
import type { AppEnv } from '../env.ts';
import { apiError, internalError, jsonBody } from '../openapi.ts';
import { noneMatch } from '../range.ts';
import { readLatest } from '../store.ts';

const route = createRoute({
  method: 'get',
  path: '/v1/model',
  summary: 'Manifest of the promoted model (max-age=60, ETag)',
  responses: {
    200: jsonBody('The manifest', manifestSchema),
    304: { description: 'Not modified (If-None-Match)' },
    404: apiError('No model published yet (code no_model)'),
    500: internalError,
    503: apiError('The stored manifest is corrupt (code corrupt_manifest)'),
  },
});

/** GET /v1/model: the promoted manifest. Clients recheck it every minute; 304 keeps that cheap. */
export const model = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const { manifest, etag } = await readLatest(c.env.MODELS);
  c.header('ETag', etag);
  c.header('Cache-Control', 'public, max-age=60');
  if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
  return c.json(manifest, 200);
});
