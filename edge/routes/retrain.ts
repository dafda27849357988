import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import {
  type RetrainConflict,
  type RetrainRequest,
  retrainAcceptedSchema,
  retrainConflictSchema,
  retrainRequestSchema,
  workflowInputs,
} from '../../contract/index.ts';
import type { AppEnv } from '../env.ts';
import { HttpError, retrainDisabled } from '../errors.ts';
import { activeRun, dispatchWorkflow } from '../github.ts';
import { retrainBearer, retrainEnabled } from '../middleware/retrain-auth.ts';
import { apiError, internalError, jsonBody } from '../openapi.ts';

const RETRAIN_REQUEST = 'RetrainRequest';

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

const route = createRoute({
  method: 'post',
  path: '/v1/retrain',
  summary: 'Start the training workflow (bearer token; one per interval, one run at a time)',
  description:
    'Dispatches the training workflow on GitHub, unless a run of it is already queued, pending, waiting ' +
    'or in progress: then 409 with that run. GitHub keeps one running and one pending run per ' +
    'concurrency group and silently cancels an older pending one, so a second dispatch could be ' +
    'accepted and then never run.',
  security: [{ bearer: [] }],
  // In this order, as before the body is read: too large, retraining off, not authorized.
  middleware: [
    bodyLimit({
      maxSize: 4096,
      onError: () => {
        throw new HttpError(413, 'body_too_large', 'The body is larger than 4 KiB.');
      },
    }),
    retrainEnabled,
    retrainBearer,
  ],
  request: {
    // A reference, not the zod schema itself: with a schema, zod-openapi's validator would answer 415
    // to a body without a JSON Content-Type and 400 to an empty one, where this API has always read
    // any body as JSON and an empty one as {} (parseBody, with the same schema).
    body: {
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${RETRAIN_REQUEST}` } } },
    },
  },
  responses: {
    202: jsonBody('The workflow run that was started', retrainAcceptedSchema),
    400: apiError('Invalid body (code invalid_json, invalid_request)'),
    401: apiError('Missing or wrong token (code unauthorized; WWW-Authenticate)'),
    409: jsonBody(
      'A training run is already queued or in progress (code run_in_progress), with its URL: none was started',
      retrainConflictSchema,
    ),
    413: apiError('Body too large (code body_too_large)'),
    429: apiError('Rate limited (code rate_limited; Retry-After)'),
    500: internalError,
    502: apiError(
      'GitHub refused (its list of runs or the dispatch) or could not be reached (code github_error, github_unreachable)',
    ),
    503: apiError('Retraining not configured (code retrain_disabled)'),
  },
});

/**
 * POST /v1/retrain: starts the training workflow on GitHub, at most once per interval, and only when
 * no run of it is unfinished (checked after the limiter, so concurrent requests reach GitHub one by one).
 */
export const retrain = new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
  const request = await parseBody(c.req.raw);
  const githubToken = c.env.GITHUB_TOKEN;
  if (!githubToken) {
    throw retrainDisabled('no GITHUB_TOKEN');
  }
  const interval = Number(c.env.RETRAIN_INTERVAL_SECONDS) || 600;
  const limiter = c.env.RETRAIN_LIMITER.get(c.env.RETRAIN_LIMITER.idFromName('global'));
  const slot = await limiter.acquire(interval);
  if (!slot.ok) {
    throw new HttpError(
      429,
      'rate_limited',
      `One retrain per ${interval} s; try again in ${slot.retryAfterSeconds} s.`,
      { 'Retry-After': String(slot.retryAfterSeconds) },
    );
  }
  const inputs = workflowInputs(request);
  try {
    const active = await activeRun(c.env, githubToken);
    if (active) {
      await limiter.release(slot.at); // nothing was started
      const conflict: RetrainConflict = {
        error: {
          code: 'run_in_progress',
          message: `A training run is already ${active.status.replace('_', ' ')}: ${active.runUrl}; no retrain was started.`,
        },
        runId: active.runId,
        runUrl: active.runUrl,
        runStatus: active.status,
      };
      return c.json(conflict, 409, { 'Cache-Control': 'no-store' });
    }
    const run = await dispatchWorkflow(c.env, githubToken, inputs);
    return c.json({ ...run, inputs }, 202);
  } catch (e) {
    await limiter.release(slot.at);
    throw e;
  }
});
retrain.openAPIRegistry.register(RETRAIN_REQUEST, retrainRequestSchema);
retrain.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
