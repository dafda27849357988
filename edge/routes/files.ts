import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import { BINARY, CONTENT_TYPES, contentTypeOf, r2Keys, versionSchema } from '../../contract/index.ts';
import type { AppEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { apiError, internalError } from '../openapi.ts';
import { noneMatch, parseRange } from '../range.ts';
import { readVersion, unknownVersion } from '../store.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The API shares the page's origin, and an SVG opened on its own runs its scripts there: ours has
 * none, and this keeps any that a bad publish let in from running (an <img> never runs them).
 */
const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const missing = (path: string, version: string, why = 'is missing from the store') =>
  new HttpError(503, 'missing_file', `${path} of ${version} ${why}.`);

const route = createRoute({
  method: 'get',
  path: '/v1/models/{version}/{file}',
  summary: 'A file named in the version manifest (immutable; ETag, Range, HEAD)',
  request: { params: z.object({ version: versionSchema, file: z.string() }) },
  responses: {
    200: {
      description:
        'The file: model.json, a weight shard, samples.png (the sample grid) or losses.svg (the loss chart); ETag is its sha256',
      content: Object.fromEntries(
        [...new Set(Object.values(CONTENT_TYPES)), BINARY].map((type) => [type, { schema: z.string() }]),
      ),
    },
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
 * content-addressed and never change: cache forever, answer conditionals and ranges. The manifest
 * gives each file's size and hash, so the ETag is its sha256, a 304 costs no R2 read, and a GET one
 * read (the range parsed here against the manifest's size: local R2 ignores bad ranges).
 */
export const files = new OpenAPIHono<AppEnv>().openapi(
  route,
  async (c) => {
    const params = c.req.valid('param');
    const name = params.file;
    let { manifest } = await readVersion(c.env.MODELS, params.version);
    let entry = manifest.files.find((f) => f.path === name);
    if (!entry) {
      // The worker's copy may predate a manifest rewritten in place (an export upgraded to schema 2
      // and published again under its version): ask R2 before answering 404.
      ({ manifest } = await readVersion(c.env.MODELS, params.version, { revalidate: true }));
      entry = manifest.files.find((f) => f.path === name);
    }
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
    const etag = `"${entry.sha256}"`;
    const headers = new Headers({
      ETag: etag,
      'Cache-Control': IMMUTABLE,
      'Accept-Ranges': 'bytes',
      'Content-Type': contentTypeOf(entry.path),
    });
    if (entry.path.endsWith('.svg')) headers.set('Content-Security-Policy', SVG_POLICY);
    if (noneMatch(conditional, etag)) return new Response(null, { status: 304, headers });

    // Plain GETs of whole files are what browsers send: answer them from the edge cache when we can.
    const cache = typeof caches === 'undefined' ? null : caches.default;
    const cacheKey = new Request(new URL(c.req.url).toString());
    if (cache && method === 'GET' && !rangeHeader) {
      const hit = await cache.match(cacheKey);
      if (hit) return new Response(hit.body, hit);
    }

    const size = entry.bytes;
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      throw new HttpError(
        416,
        'range_not_satisfiable',
        `The file has ${size} bytes; that range is outside it.`,
        { 'Content-Range': `bytes */${size}` },
      );
    }
    const partial = range.kind === 'partial';
    const length = partial ? range.length : size;
    headers.set('Content-Length', String(length));
    if (partial) headers.set('Content-Range', `bytes ${range.offset}-${range.offset + length - 1}/${size}`);
    const status = partial ? 206 : 200;

    const stored = <T extends R2Object>(obj: T | null): T => {
      if (!obj) throw missing(entry.path, manifest.version);
      if (obj.size !== size)
        throw missing(entry.path, manifest.version, 'in the store does not match its manifest');
      return obj;
    };
    if (method === 'HEAD') {
      stored(await c.env.MODELS.head(key));
      return new Response(null, { status, headers });
    }
    const obj = stored(
      await c.env.MODELS.get(key, partial ? { range: { offset: range.offset, length } } : {}),
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
