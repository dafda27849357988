import type { Hook } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';
import { HttpError } from './errors.ts';

/**
 * What app.openapi's validators do with a request that breaks a route's schema: the API's error, 400,
 * code `invalid_<part>` (a bad query is `invalid_query`, the code /v1/models has always answered).
 */
export const defaultHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return undefined;
  const fields = result.error.issues.map((i) => `${i.path.join('.') || i.code}: ${i.message}`);
  throw new HttpError(400, `invalid_${result.target}`, `Bad ${result.target}: ${fields.join('; ')}`);
};
