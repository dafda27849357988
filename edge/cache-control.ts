// What a client's request says about caches between it and the origin (RFC 9111 §5.2.1).

/**
 * True when the client asks every cache on the way to check with the origin first: `no-cache`,
 * `max-age=0` (what browsers send on a reload and for fetch's `cache: 'no-cache'`), or the old
 * `Pragma: no-cache`.
 */
export function asksRevalidation(cacheControl: string | undefined, pragma?: string): boolean {
  if (cacheControl) {
    for (const directive of cacheControl.toLowerCase().split(',')) {
      const [name, value] = directive.trim().split('=');
      if (name === 'no-cache' || name === 'no-store') return true;
      if (name === 'max-age' && value?.trim().replace(/"/g, '') === '0') return true;
    }
    return false;
  }
  return pragma?.toLowerCase().includes('no-cache') ?? false;
}
