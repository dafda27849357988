// The API as a client meets it: liveness, the promoted manifest against the contract, every file it
// lists byte for byte, and the OpenAPI document a client generator would read.
import { manifestSchema } from '../../contract/index.ts';
import { errorMessage } from '../../lib/errors.ts';
import { sha256 } from '../../lib/hash.ts';
import type { Check } from './check.ts';
import type { Deployment } from './deployment.ts';

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;
const short = (hash: string) => `${hash.slice(0, 12)}…`;

export const healthz = (d: Deployment): Check => ({
  name: 'healthz',
  async run() {
    const body = await d.getJson('/healthz');
    const ok = typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === true;
    return { ok, detail: `GET /healthz answered 200 ${JSON.stringify(body).slice(0, 100)}` };
  },
});

export const manifest = (d: Deployment): Check => ({
  name: 'manifest',
  async run() {
    const parsed = manifestSchema.safeParse(await d.getJson('/v1/model'));
    if (!parsed.success)
      return { ok: false, detail: `/v1/model is not a valid manifest: ${errorMessage(parsed.error)}` };
    const m = parsed.data;
    d.manifest = m;
    const classes = m.classes ? `${m.classes} classes` : 'unconditional';
    return {
      ok: true,
      detail: `/v1/model: ${m.version} (schema ${m.schema}, ${m.preset}, ${classes}, ${m.quantization}, ${m.files.length} files)`,
    };
  },
});

export const files = (d: Deployment): Check => ({
  name: 'files',
  async run() {
    const m = d.needManifest();
    const problems: string[] = [];
    let total = 0;
    for (const f of m.files) {
      const res = await d.fetch(`/v1/models/${m.version}/${encodeURIComponent(f.path)}`);
      if (res.status !== 200) {
        problems.push(`${f.path}: answered ${res.status}`);
        continue;
      }
      const body = new Uint8Array(await res.arrayBuffer());
      total += body.length;
      const hash = sha256(body);
      if (body.length !== f.bytes)
        problems.push(`${f.path}: ${bytes(body.length)}, the manifest says ${f.bytes}`);
      else if (hash !== f.sha256)
        problems.push(`${f.path}: sha256 ${short(hash)} is not the manifest's ${short(f.sha256)}`);
    }
    if (problems.length) return { ok: false, detail: problems.join('; ') };
    return {
      ok: true,
      detail: `${m.files.length} files (${bytes(total)}): sizes and sha256 match the manifest`,
    };
  },
});

/** The routes a client of the model needs; the document must describe them. */
const NEEDED_PATHS = [
  '/healthz',
  '/v1/model',
  '/v1/models',
  '/v1/models/{version}',
  '/v1/models/{version}/{file}',
];

export const openapi = (d: Deployment): Check => ({
  name: 'openapi',
  async run() {
    const doc = await d.getJson('/v1/openapi.json');
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return { ok: false, detail: '/v1/openapi.json is not a JSON object' };
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(doc as Record<string, unknown>);
    if (!result.valid) {
      const errors =
        typeof result.errors === 'string'
          ? result.errors
          : (result.errors ?? [])
              .slice(0, 3)
              .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`)
              .join('; ');
      return { ok: false, detail: `/v1/openapi.json is not a valid OpenAPI document: ${errors}` };
    }
    const paths = Object.keys((doc as { paths?: Record<string, unknown> }).paths ?? {});
    const missing = NEEDED_PATHS.filter((p) => !paths.includes(p));
    if (missing.length)
      return { ok: false, detail: `/v1/openapi.json does not describe ${missing.join(', ')}` };
    return { ok: true, detail: `valid OpenAPI ${validator.version}, ${paths.length} paths` };
  },
});
