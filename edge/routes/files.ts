import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { r2Keys, versionSchema } from '../../contract/index.ts';
import type { AppEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { apiError, internalError } from '../openapi.ts';
import { noneMatch, parseRange } from '../range.ts';
import { readVersion, unknownVersion } from '../store.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

const contentType = (path: string) =>
  path.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream';

const route = createRoute({
  method: 'get',
  path: '/v1/models/{version}/{file}',
  summary: 'A file named in the version manifest (immutable; ETag, Range, HEAD)',
  request: { params: z.object({ version: versionSchema, file: z.string() }) },
  responses: {
    200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } },
    206: { description: 'The requested byte range (Content-Range)' },
    304: { description: 'Not modified (If-None-Match)' },
    404: apiError('Unknown version or file (code unknown_version, unknown_file)'),
    416: apiError('Range not satisfiable (code range_not_satisfiable; Content-Range bytes */size)'),
    500: internalError,
    503: apiError(
      'The version manifest is corrupt (code corrupt_manifest) or the store lacks a file it names (code missing_file)',
    ),
  },
});

/**
 * GET/HEAD /v1/models/:version/:file: a file of a published version, only if that version's
 * manifest names it (so no other key of the bucket can ever be read through here). Files are
 * content-addressed and never change: cache forever, answer conditionals and ranges.
 */
export const files = new OpenAPIHono<AppEnv>().openapi(
  route,
  async (c) => {
    const params = c.req.valid('param');
    const { manifest } = await readVersion(c.env.MODELS, params.version);
    const name = params.file;
    const entry = manifest.files.find((f) => f.path === name);
    if (!entry) {
      throw new HttpError(
        404,
        'unknown_file',
        `Version ${manifest.version} has no file '${name.slice(0, 64)}'.`,
      );
    }
    const key = r2Keys.file(manifest.version, entry.path);
    const method = c.req.method;
    const rangeHeader = c.req.header('Range');
    const conditional = c.req.header('If-None-Match');

    // Plain GETs of whole files are what browsers send: answer them from the edge cache when we can.
    const cache = typeof caches === 'undefined' ? null : caches.default;
    const cacheKey = new Request(new URL(c.req.url).toString());
    if (cache && method === 'GET' && !rangeHeader && !conditional) {
      const hit = await cache.match(cacheKey);
      if (hit) return new Response(hit.body, hit);
    }

    const head = await c.env.MODELS.head(key);
    if (!head)
      throw new HttpError(
        503,
        'missing_file',
        `${entry.path} of ${manifest.version} is missing from the store.`,
      );
    const headers = new Headers({
      ETag: head.httpEtag,
      'Cache-Control': IMMUTABLE,
      'Accept-Ranges': 'bytes',
      'Content-Type': contentType(entry.path),
    });
    if (noneMatch(conditional, head.httpEtag)) return new Response(null, { status: 304, headers });

    const range = parseRange(rangeHeader, head.size);
    if (range.kind === 'unsatisfiable') {
      throw new HttpError(
        416,
        'range_not_satisfiable',
        `The file has ${head.size} bytes; that range is outside it.`,
        {
          'Content-Range': `bytes */${head.size}`,
        },
      );
    }
    const partial = range.kind === 'partial';
    const length = partial ? range.length : head.size;
    headers.set('Content-Length', String(length));
    if (partial)
      headers.set('Content-Range', `bytes ${range.offset}-${range.offset + length - 1}/${head.size}`);
    const status = partial ? 206 : 200;
    if (method === 'HEAD') return new Response(null, { status, headers });

    const obj = await c.env.MODELS.get(key, partial ? { range: { offset: range.offset, length } } : {});
    if (!obj)
      throw new HttpError(
        503,
        'missing_file',
        `${entry.path} of ${manifest.version} is missing from the store.`,
      );
    const res = new Response(obj.body, { status, headers });
    if (cache && status === 200) c.executionCtx.waitUntil(cache.put(cacheKey, res.clone()));
    return res;
  },
  // A malformed version names no version: 404, as for any unknown one (not a 400).
  (result, c) => {
    if (!result.success) throw unknownVersion(c.req.param('version'));
    return undefined;
  },
);
