import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { noneMatch } from '../range.ts';
import { readLatest } from '../store.ts';

/** GET /v1/model: the promoted manifest. Clients recheck it every minute; 304 keeps that cheap. */
export const model = new Hono<AppEnv>().get('/v1/model', async (c) => {
  const { manifest, etag } = await readLatest(c.env.MODELS);
  c.header('ETag', etag);
  c.header('Cache-Control', 'public, max-age=60');
  if (noneMatch(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
  return c.json(manifest);
});
