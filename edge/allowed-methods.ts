// What a path answers, read from the app's own routes and router, so the 405 answers (and their
// Allow header) follow every route as it is registered: there is no second list of paths to keep.
import type { Hono } from 'hono';
import type { AppEnv } from './env.ts';
import { apiCors } from './middleware/api-headers.ts';

/** Allow's order: the usual one, whatever order the routes were registered in. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const rank = (m: string) => (ORDER.includes(m) ? ORDER.indexOf(m) : ORDER.length);

type App = Pick<Hono<AppEnv>, 'routes' | 'router'>;

/**
 * The methods `path` has in `app`: those of the routes that match it (middleware, registered for
 * ALL, aside), HEAD where GET is (Hono answers HEAD with the GET route), and OPTIONS where the CORS
 * middleware answers it. Empty when no route has the path.
 */
export function allowedMethods(app: App, path: string): string[] {
  const methods = new Set(app.routes.map((r) => r.method).filter((m) => m !== 'ALL'));
  const allowed = new Set<string>();
  for (const method of methods) {
    const [matches] = app.router.match(method, path);
    if (matches.some(([[, route]]) => route.method === method)) allowed.add(method);
  }
  if (allowed.size === 0) return [];
  if (allowed.has('GET')) allowed.add('HEAD');
  const [preflight] = app.router.match('OPTIONS', path);
  if (preflight.some(([[handler]]) => handler === apiCors)) allowed.add('OPTIONS');
  return [...allowed].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
