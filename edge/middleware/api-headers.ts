import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/**
 * The API is readable from any origin (people use the weights elsewhere), including pages that are
 * cross-origin isolated themselves, which only load resources marked `cross-origin`.
 */
export const apiCors = cors({
  origin: '*',
  allowMethods: ['GET', 'HEAD', 'OPTIONS'],
  allowHeaders: ['Range', 'If-None-Match'],
  exposeHeaders: ['ETag', 'Content-Length', 'Content-Range', 'Accept-Ranges'],
  maxAge: 86400,
});

export const apiResourcePolicy: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
};
