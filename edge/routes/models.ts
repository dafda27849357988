import { Hono } from 'hono';
import { z } from 'zod';
import { manifestSchema, type VersionList } from '../../contract/index.ts';
import type { AppEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { listVersions, readLatest, readVersion, type StoredManifest } from '../store.ts';

export const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    /** The last version of the previous page: the next page holds older versions. */
    cursor: manifestSchema.shape.version.optional(),
  })
  .strict();

async function tryRead(read: () => Promise<StoredManifest>): Promise<StoredManifest | null> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof HttpError) return null; // missing or corrupt: not a usable version
    throw e;
  }
}

export const models = new Hono<AppEnv>()
  .get('/v1/models', async (c) => {
    const query = listQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      const fields = query.error.issues.map((i) => `${i.path.join('.') || i.code}: ${i.message}`);
      throw new HttpError(400, 'invalid_query', `Bad query: ${fields.join('; ')}`);
    }
    const { limit, cursor } = query.data;
    const all = await listVersions(c.env.MODELS);
    const older = cursor ? all.filter((v) => v < cursor) : all;
    const promoted = (await tryRead(() => readLatest(c.env.MODELS)))?.manifest.version;
    const page = older.slice(0, limit);
    const versions: VersionList['versions'] = [];
    for (const version of page) {
      // A folder without a valid manifest is a publish in progress (or a broken one): not listed.
      const stored = await tryRead(() => readVersion(c.env.MODELS, version));
      if (!stored) continue;
      const m = stored.manifest;
      versions.push({
        version,
        createdAt: m.createdAt,
        preset: m.preset,
        quantization: m.quantization,
        bytes: m.files.reduce((sum, f) => sum + f.bytes, 0),
        metrics: m.metrics,
        promoted: version === promoted,
      });
    }
    const body: VersionList = {
      versions,
      cursor: older.length > page.length ? page[page.length - 1] : null,
    };
    return c.json(body);
  })
  .get('/v1/models/:version', async (c) => {
    const { manifest, etag } = await readVersion(c.env.MODELS, c.req.param('version'));
    c.header('ETag', etag);
    // A version's manifest never changes once published.
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.json(manifest);
  });
