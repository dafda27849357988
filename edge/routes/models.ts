import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  manifestSchema,
  SAMPLES_FILE,
  type VersionList,
  type VersionSummary,
  versionListSchema,
  versionSchema,
} from '../../contract/index.ts';
import { mapBounded } from '../bounded.ts';
import type { AppEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { apiError, internalError, jsonBody } from '../openapi.ts';
import { listVersions, readLatest, readVersion, type StoredManifest, unknownVersion } from '../store.ts';

/** The first of a repeated query key, as the API has always read it (the validator gets an array). */
const first = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[0] : v), schema);

export const listQuerySchema = z
  .object({
    limit: first(z.coerce.number().int().min(1).max(100)).default(20),
    /** The last version of the previous page: the next page holds older versions. */
    cursor: first(versionSchema).optional(),
  })
  .strict();

const listRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  summary: 'Published versions, newest first',
  request: { query: listQuerySchema },
  responses: {
    200: jsonBody('A page of versions', versionListSchema),
    400: apiError('Bad query (code invalid_query)'),
    500: internalError,
  },
});

const versionRoute = createRoute({
  method: 'get',
  path: '/v1/models/{version}',
  summary: "A version's manifest",
  request: { params: z.object({ version: versionSchema }) },
  responses: {
    200: jsonBody('The manifest', manifestSchema),
    404: apiError('Unknown version (code unknown_version)'),
    500: internalError,
    503: apiError('The stored manifest is corrupt (code corrupt_manifest)'),
  },
});

async function tryRead(read: () => Promise<StoredManifest>): Promise<StoredManifest | null> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof HttpError) return null; // missing or corrupt: not a usable version
    throw e;
  }
}

/** Manifests of a page read at once, at most this many at a time (a Worker's open-connection limit). */
const CONCURRENT_READS = 6;

/** The history entry of a version: what a list of published models shows without more requests. */
function summary(stored: StoredManifest, promoted: string | undefined): VersionSummary {
  const m = stored.manifest;
  return {
    version: m.version,
    createdAt: m.createdAt,
    preset: m.preset,
    quantization: m.quantization,
    schema: m.schema,
    steps: m.training.steps,
    backend: m.training.backend,
    bytes: m.files.reduce((sum, f) => sum + f.bytes, 0),
    metrics: m.metrics,
    samplesPath: m.files.some((f) => f.path === SAMPLES_FILE)
      ? `/v1/models/${m.version}/${SAMPLES_FILE}`
      : null,
    promoted: m.version === promoted,
  };
}

export const models = new OpenAPIHono<AppEnv>()
  .openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const [all, latest] = await Promise.all([
      listVersions(c.env.MODELS),
      tryRead(() => readLatest(c.env.MODELS)),
    ]);
    const older = cursor ? all.filter((v) => v < cursor) : all;
    const page = older.slice(0, limit);
    const stored = await mapBounded(page, CONCURRENT_READS, (version) =>
      tryRead(() => readVersion(c.env.MODELS, version)),
    );
    const body: VersionList = {
      // A folder without a valid manifest is a publish in progress (or a broken one): not listed.
      versions: stored.flatMap((s) => (s ? [summary(s, latest?.manifest.version)] : [])),
      cursor: older.length > page.length ? page[page.length - 1] : null,
    };
    return c.json(body, 200);
  })
  .openapi(
    versionRoute,
    async (c) => {
      const { manifest, etag } = await readVersion(c.env.MODELS, c.req.valid('param').version);
      c.header('ETag', etag);
      // A version's manifest never changes once published.
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.json(manifest, 200);
    },
    // A malformed version names no version: 404, as for any unknown one (not a 400).
    (result, c) => {
      if (!result.success) throw unknownVersion(c.req.param('version'));
      return undefined;
    },
  );
