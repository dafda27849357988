import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { manifestSchema } from '../../contract/index.ts';
import { asksRevalidation } from '../cache-control.ts';
import type { AppEnv } from '../env.ts';
import { apiError, internalError, jsonBody } from '../openapi.ts';
import { noneMatch } from '../range.ts';
import { MANIFEST_TTL_SECONDS, readLatest } from '../store.ts';

const route = createRoute({
  method: 'get',
  path: '/v1/model',
  summary: 'Manifest of the promoted model (max-age=60, ETag)',
  description:
    `The promoted version's manifest (schema 1, 2 or 3; 2 says how to call the model, 3 also which file ` +
    'is the model, how its weights dequantize, the feed order of its inputs and the valid labels). The worker ' +
    `keeps it in memory for at most ${MANIFEST_TTL_SECONDS} s, so a promotion or rollback is served ` +
    `within ${MANIFEST_TTL_SECONDS} s; a request with Cache-Control: no-cache (or max-age=0) is checked ` +
    'against the store at once. HTTP caches may keep a response for max-age=60; revalidate with If-None-Match.',
  responses: {
    200: jsonBody('The manifest', manifestSchema),
    304: { description: 'Not modified (If-None-Match)' },
    404: apiError('No model published yet (code no_model)'),
    500: internalError,
    503: apiError('The stored manifest is corrupt (code corrupt_manifest)'),
  },
});

/** GET /v1/model: the promoted manifest, from the isolate's copy (store.ts) while it is fresh. */
export const model = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const revalidate = asksRevalidation(c.req.header('Cache-Control'), c.req.header('Pragma'));
  const { json, etag } = await readLatest(c.env.MODELS, { revalidate });
  c.header('ETag', etag);
  c.header('Cache-Control', 'public, max-age=60');
  if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
  // Serialized once per version of latest.json, not per request.
  return c.body(json, 200, { 'Content-Type': 'application/json' });
});
