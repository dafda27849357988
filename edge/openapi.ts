// The OpenAPI 3.1 document, generated from the contract's zod schemas (the same ones the routes
// validate with), so the document cannot drift from what the worker accepts and returns.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  apiErrorSchema,
  manifestSchema,
  retrainAcceptedSchema,
  retrainRequestSchema,
  versionListSchema,
} from '../contract/index.ts';
import type { AppEnv } from './env.ts';
import { listQuerySchema } from './routes/models.ts';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: apiErrorSchema } },
});
const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});
const versionParams = z.object({ version: manifestSchema.shape.version });
const fileParams = z.object({ version: manifestSchema.shape.version, file: z.string() });

export const routes = [
  createRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    responses: { 200: json('The worker runs', z.object({ ok: z.literal(true) })) },
  }),
  createRoute({
    method: 'get',
    path: '/v1/model',
    summary: 'Manifest of the promoted model (max-age=60, ETag)',
    responses: {
      200: json('The manifest', manifestSchema),
      304: { description: 'Not modified (If-None-Match)' },
      404: error('No model published yet (code no_model)'),
      503: error('The stored manifest is corrupt (code corrupt_manifest)'),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/models',
    summary: 'Published versions, newest first',
    request: { query: listQuerySchema },
    responses: { 200: json('A page of versions', versionListSchema), 400: error('Bad query') },
  }),
  createRoute({
    method: 'get',
    path: '/v1/models/{version}',
    summary: "A version's manifest",
    request: { params: versionParams },
    responses: {
      200: json('The manifest', manifestSchema),
      404: error('Unknown version'),
      503: error('Corrupt manifest'),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/models/{version}/{file}',
    summary: 'A file named in the version manifest (immutable; ETag, Range, HEAD)',
    request: { params: fileParams },
    responses: {
      200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } },
      206: { description: 'The requested byte range (Content-Range)' },
      304: { description: 'Not modified (If-None-Match)' },
      404: error('Unknown version or file'),
      416: error('Range not satisfiable'),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/retrain',
    summary: 'Start the training workflow (bearer token; one per interval)',
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: retrainRequestSchema } } } },
    responses: {
      202: json('The workflow run that was started', retrainAcceptedSchema),
      400: error('Invalid body'),
      401: error('Missing or wrong token'),
      413: error('Body too large'),
      429: error('Rate limited (Retry-After)'),
      502: error('GitHub refused or could not be reached'),
      503: error('Retraining not configured'),
    },
  }),
];

export function registerOpenApi(app: OpenAPIHono<AppEnv>): void {
  for (const route of routes) app.openAPIRegistry.registerPath(route);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'MNIST on-device GAN',
      version: '1',
      description: 'Model metadata and weights of a GAN that runs on the visitor’s device.',
    },
  });
}
