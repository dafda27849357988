// Bearer-token check in constant time: both sides are hashed to equal length first, so neither the
// comparison nor an early length mismatch tells an attacker how much of a guess was right.
import { HttpError } from './errors.ts';

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
}

export async function requireBearer(header: string | undefined, expected: string | undefined): Promise<void> {
  if (!expected) {
    throw new HttpError(
      503,
      'retrain_disabled',
      'Retraining is not enabled on this deployment (no RETRAIN_TOKEN).',
    );
  }
  const challenge = 'Bearer realm="retrain"';
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) {
    throw new HttpError(401, 'unauthorized', 'A bearer token is required.', {
      'WWW-Authenticate': challenge,
    });
  }
  const [a, b] = await Promise.all([digest(m[1]), digest(expected)]);
  if (!crypto.subtle.timingSafeEqual(a, b)) {
    throw new HttpError(401, 'unauthorized', 'The bearer token is not valid.', {
      'WWW-Authenticate': `${challenge}, error="invalid_token"`,
    });
  }
}
