// The remote checks' one way to ask an API: a GET with a time limit whose failures read as one line.
import { errorMessage } from '../../lib/errors.ts';

export interface Reply {
  status: number;
  /** The JSON body, or the text when it is not JSON. */
  body: unknown;
}

/** fetch's own message is "fetch failed"; what failed is in its cause (ECONNREFUSED, ENOTFOUND, …). */
export function networkError(e: unknown): string {
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  if (e instanceof Error && e.name === 'TimeoutError') return 'no answer in time';
  return cause ? (cause.code ?? cause.message ?? errorMessage(e)) : errorMessage(e);
}

/** GETs `url`; throws (one line, naming the URL) only when no answer came. */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Reply> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    throw new Error(`GET ${url}: ${networkError(e)}`);
  }
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
