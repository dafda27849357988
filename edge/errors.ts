import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiError } from '../contract/index.ts';

/**
 * A failure with the status and stable code the client sees; the message is safe to show. Hono's
 * HTTPException carries a status and a message but no code or extra headers, so this adds them.
 */
export class HttpError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

/** 503 retrain_disabled: a deployment without what retraining needs (`why`) keeps the route closed. */
export const retrainDisabled = (why: string): HttpError =>
  new HttpError(503, 'retrain_disabled', `Retraining is not enabled on this deployment (${why}).`);

export function errorResponse(c: Context, e: HttpError): Response {
  const body: ApiError = { error: { code: e.code, message: e.message } };
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  c.header('Cache-Control', 'no-store');
  return c.json(body, e.status);
}

/** Every failure becomes the API's JSON error; never a stack trace to the client. */
export const onError: ErrorHandler = (e, c) => {
  if (e instanceof HttpError) return errorResponse(c, e);
  if (e instanceof HTTPException) {
    // Hono's middleware: a response it was given (bearerAuth's, built by errorResponse), or its own.
    if (e.res) return e.getResponse();
    const server = e.status >= 500;
    const message = server ? 'Something went wrong on our side.' : e.message || 'Bad request.';
    return errorResponse(c, new HttpError(e.status, server ? 'internal' : 'bad_request', message));
  }
  // The log keeps what an operator needs.
  console.error(
    `unhandled error on ${c.req.method} ${c.req.path}: ${e instanceof Error ? e.message : String(e)}`,
  );
  return errorResponse(c, new HttpError(500, 'internal', 'Something went wrong on our side.'));
};
