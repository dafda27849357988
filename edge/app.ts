// The worker's routes, without the Durable Object class (so Node tools can import the app).
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { errorResponse, HttpError } from './errors.ts';
import { apiCors, apiResourcePolicy } from './middleware/api-headers.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { registerOpenApi } from './openapi.ts';
import { files } from './routes/files.ts';
import { health } from './routes/health.ts';
import { model } from './routes/model.ts';
import { models } from './routes/models.ts';
import { retrain } from './routes/retrain.ts';

// GET routes answer HEAD too; anything else on them is 405, not 404.
const READ_ONLY = [/^\/v1\/model$/, /^\/v1\/models(\/[^/]+){0,2}$/, /^\/v1\/openapi\.json$/];

export const app = new OpenAPIHono<AppEnv>();

app.use('*', securityHeaders);
app.use('/v1/*', apiCors, apiResourcePolicy);
app.use('/healthz', apiResourcePolicy);
app.route('/', health);
app.route('/', model);
app.route('/', models);
app.route('/', files);
app.route('/', retrain);
registerOpenApi(app);

app.all('/v1/*', (c) => {
  const path = c.req.path;
  if (path === '/v1/retrain') throw new HttpError(405, 'method_not_allowed', 'Use POST.', { Allow: 'POST' });
  if (READ_ONLY.some((r) => r.test(path))) {
    throw new HttpError(405, 'method_not_allowed', 'Use GET or HEAD.', { Allow: 'GET, HEAD, OPTIONS' });
  }
  throw new HttpError(404, 'not_found', 'No such API route.');
});

app.onError((e, c) => {
  if (e instanceof HttpError) return errorResponse(c, e);
  // Never a stack trace to the client; the log keeps what an operator needs.
  console.error(
    `unhandled error on ${c.req.method} ${c.req.path}: ${e instanceof Error ? e.message : String(e)}`,
  );
  return errorResponse(c, new HttpError(500, 'internal', 'Something went wrong on our side.'));
});
