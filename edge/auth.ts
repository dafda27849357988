// Bearer tokens compared in constant time: both sides are hashed to equal length first, so neither the
// comparison nor an early length mismatch tells an attacker how much of a guess was right.

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(s));
}

export async function sameToken(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}
