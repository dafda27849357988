// The OpenAPI 3.1 document. Each route is a createRoute (with the contract's schemas) registered with
// app.openapi, which both validates requests with it and records it here: the document is the routes.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { z } from 'zod';
import { apiErrorSchema } from '../contract/index.ts';
import type { AppEnv } from './env.ts';

export const OPENAPI_PATH = '/v1/openapi.json';

/** A response in the API's error format. */
export const apiError = (description: string) => ({
  description,
  content: { 'application/json': { schema: apiErrorSchema } },
});

export const jsonBody = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

/** What any route that reads R2, a Durable Object or GitHub answers when one of them fails unexpectedly. */
export const internalError = apiError('Unexpected failure on our side (code internal)');

export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  // Not doc31(): it answers a generator failure with the raw error object; this goes through onError.
  app.get(OPENAPI_PATH, (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'MNIST on-device GAN',
          version: '1',
          description: 'Model metadata and weights of a GAN that runs on the visitor’s device.',
        },
      }),
    ),
  );
}
