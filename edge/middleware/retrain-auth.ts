import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { sameToken } from '../auth.ts';
import type { AppEnv } from '../env.ts';
import { errorResponse, HttpError, retrainDisabled } from '../errors.ts';

const REALM = 'retrain';
const CHALLENGE = `Bearer realm="${REALM}"`;

/** bearerAuth sends a message that is a Response as it is (status included), in the API's format. */
const unauthorized = (message: string) => (c: Context) =>
  errorResponse(c, new HttpError(401, 'unauthorized', message));

/** What bearerAuth accepts as a token (RFC 6750's b64token); it refuses any other header as malformed. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** Never open by default: without RETRAIN_TOKEN the route is off (503), whatever the caller sends. */
export const retrainEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = c.env.RETRAIN_TOKEN;
  if (!token) {
    throw retrainDisabled('no RETRAIN_TOKEN');
  }
  // Such a token could never be presented: say so rather than answer every caller 401.
  if (!B64TOKEN.test(token)) {
    throw retrainDisabled('RETRAIN_TOKEN must be letters, digits, -._~+/ and a trailing =');
  }
  await next();
};

/** The caller's bearer token must be RETRAIN_TOKEN (compared in constant time). */
export const retrainBearer = bearerAuth<AppEnv>({
  realm: REALM,
  verifyToken: (token, c) => sameToken(token, c.env.RETRAIN_TOKEN ?? ''),
  noAuthenticationHeader: { message: unauthorized('A bearer token is required.') },
  // bearerAuth's default here is 400 invalid_request; this API has always answered 401 with the challenge.
  invalidAuthenticationHeader: {
    message: unauthorized('A bearer token is required.'),
    wwwAuthenticateHeader: CHALLENGE,
  },
  invalidToken: {
    message: unauthorized('The bearer token is not valid.'),
    wwwAuthenticateHeader: `${CHALLENGE}, error="invalid_token"`,
  },
});
