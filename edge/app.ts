// The worker's routes, without the Durable Object class (so Node tools can import the app).
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { HttpError, onError } from './errors.ts';
import { apiCors, apiResourcePolicy } from './middleware/api-headers.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { serveOpenApi } from './openapi.ts';
import { files } from './routes/files.ts';
import { health } from './routes/health.ts';
import { model } from './routes/model.ts';
import { models } from './routes/models.ts';
import { retrain } from './routes/retrain.ts';
import { defaultHook } from './validation.ts';

// GET routes answer HEAD too; anything else on them is 405, not 404.
const READ_ONLY = [/^\/v1\/model$/, /^\/v1\/models(\/[^/]+){0,2}$/, /^\/v1\/openapi\.json$/];

// The route apps mounted below find this defaultHook through their parent (zod-openapi looks it up).
export const app = new OpenAPIHono<AppEnv>({ defaultHook });

app.use('*', securityHeaders);
app.use('/v1/*', apiCors, apiResourcePolicy);
app.use('/healthz', apiResourcePolicy);
app.route('/', health);
app.route('/', model);
app.route('/', models);
app.route('/', files);
app.route('/', retrain);
serveOpenApi(app);

app.all('/v1/*', (c) => {
  const path = c.req.path;
  if (path === '/v1/retrain') throw new HttpError(405, 'method_not_allowed', 'Use POST.', { Allow: 'POST' });
  if (READ_ONLY.some((r) => r.test(path))) {
    throw new HttpError(405, 'method_not_allowed', 'Use GET or HEAD.', { Allow: 'GET, HEAD, OPTIONS' });
  }
  throw new HttpError(404, 'not_found', 'No such API route.');
});

app.onError(onError);
