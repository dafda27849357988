// The worker's routes, without the Durable Object class (so Node tools can import the app).
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { allowedMethods } from './allowed-methods.ts';
import type { AppEnv } from './env.ts';
import { errorResponse, HttpError, onError } from './errors.ts';
import { apiCors, apiResourcePolicy } from './middleware/api-headers.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { serveOpenApi } from './openapi.ts';
import { files } from './routes/files.ts';
import { health } from './routes/health.ts';
import { model } from './routes/model.ts';
import { models } from './routes/models.ts';
import { retrain } from './routes/retrain.ts';
import { defaultHook } from './validation.ts';

/** A list for people: "GET or HEAD", "GET, HEAD or POST". */
const either = (methods: string[]) =>
  methods.length < 2 ? methods.join('') : `${methods.slice(0, -1).join(', ')} or ${methods.at(-1)}`;

/**
 * What no route answered: 405 where the path has routes for other methods (Allow names them, read
 * from the routes themselves), else 404. A not-found handler rather than a catch-all route, so it
 * also covers a route registered after it.
 */
function noRoute(app: OpenAPIHono<AppEnv>) {
  return (c: Context<AppEnv>) => {
    const allow = allowedMethods(app, c.req.path);
    if (allow.length === 0) return errorResponse(c, new HttpError(404, 'not_found', 'No such API route.'));
    const use = either(allow.filter((m) => m !== 'OPTIONS'));
    return errorResponse(
      c,
      new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed here; use ${use}.`, {
        Allow: allow.join(', '),
      }),
    );
  };
}

/** The app with every route; the worker serves one, tests may build another and add to it. */
export function createApp(): OpenAPIHono<AppEnv> {
  // The route apps mounted below find this defaultHook through their parent (zod-openapi looks it up).
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  app.use('*', securityHeaders);
  app.use('/v1/*', apiCors, apiResourcePolicy);
  app.use('/healthz', apiResourcePolicy);
  app.route('/', health);
  app.route('/', model);
  app.route('/', models);
  app.route('/', files);
  app.route('/', retrain);
  serveOpenApi(app);
  app.notFound(noRoute(app));
  app.onError(onError);
  return app;
}

export const app = createApp();
