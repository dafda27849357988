import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type RetrainRequest, retrainRequestSchema, workflowInputs } from '../../contract/index.ts';
import { requireBearer } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import { HttpError } from '../errors.ts';
import { dispatchWorkflow } from '../github.ts';

async function parseBody(req: Request): Promise<RetrainRequest> {
  const text = await req.text();
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON.');
  }
  const parsed = retrainRequestSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => {
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` (${i.keys.join(', ')})` : '';
      return `${i.path.join('.') || 'body'}: ${i.message}${keys}`;
    });
    throw new HttpError(400, 'invalid_request', `Bad retrain request: ${fields.join('; ')}`);
  }
  return parsed.data;
}

/** POST /v1/retrain: starts the training workflow on GitHub, at most once per interval. */
export const retrain = new Hono<AppEnv>().post(
  '/v1/retrain',
  bodyLimit({
    maxSize: 4096,
    onError: () => {
      throw new HttpError(413, 'body_too_large', 'The body is larger than 4 KiB.');
    },
  }),
  async (c) => {
    await requireBearer(c.req.header('Authorization'), c.env.RETRAIN_TOKEN);
    const request = await parseBody(c.req.raw);
    const githubToken = c.env.GITHUB_TOKEN;
    if (!githubToken) {
      throw new HttpError(
        503,
        'retrain_disabled',
        'Retraining is not enabled on this deployment (no GITHUB_TOKEN).',
      );
    }
    const interval = Number(c.env.RETRAIN_INTERVAL_SECONDS) || 600;
    const limiter = c.env.RETRAIN_LIMITER.get(c.env.RETRAIN_LIMITER.idFromName('global'));
    const slot = await limiter.acquire(interval);
    if (!slot.ok) {
      throw new HttpError(
        429,
        'rate_limited',
        `One retrain per ${interval} s; try again in ${slot.retryAfterSeconds} s.`,
        {
          'Retry-After': String(slot.retryAfterSeconds),
        },
      );
    }
    const inputs = workflowInputs(request);
    try {
      const run = await dispatchWorkflow(c.env, githubToken, inputs);
      return c.json({ ...run, inputs }, 202);
    } catch (e) {
      await limiter.release(slot.at);
      throw e;
    }
  },
);
