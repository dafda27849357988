// The headers browsers act on. The page needs cross-origin isolation (WASM threads) and its strict
// CSP; the API must stay readable from other origins (CORS `*`, CORP cross-origin). The expected
// values are the contract's own (contract/security-headers.ts), not a copy.
import { PAGE_HEADERS, SECURITY_HEADERS } from '../../contract/index.ts';
import type { Check } from './check.ts';
import type { Deployment } from './deployment.ts';

const CSP = 'Content-Security-Policy';

const directives = (csp: string): string[] =>
  csp
    .split(';')
    .map((d) => d.trim().replace(/\s+/g, ' '))
    .filter(Boolean);

/** What differs from `expected` in `headers`, one phrase per header. */
export function headerProblems(headers: Headers, expected: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = headers.get(name);
    if (got === null) problems.push(`${name} missing`);
    else if (name === CSP) {
      // Every directive of the contract's policy, as written (one more directive is not a weakening).
      const have = new Set(directives(got));
      const absent = directives(want).filter((d) => !have.has(d));
      if (absent.length) problems.push(`${CSP} lacks "${absent.join('; ')}"`);
    } else if (got.trim() !== want) problems.push(`${name} is '${got}', not '${want}'`);
  }
  return problems;
}

export const pageHeaders = (d: Deployment): Check => ({
  name: 'page-headers',
  async run() {
    const res = await d.get('/');
    const type = res.headers.get('content-type') ?? '';
    const problems = headerProblems(res.headers, { ...PAGE_HEADERS, ...SECURITY_HEADERS });
    if (!type.startsWith('text/html')) problems.unshift(`/ is '${type || 'no content type'}', not text/html`);
    await res.body?.cancel();
    if (problems.length) return { ok: false, detail: `/: ${problems.join('; ')}` };
    return {
      ok: true,
      detail: `/: COOP ${PAGE_HEADERS['Cross-Origin-Opener-Policy']}, COEP ${PAGE_HEADERS['Cross-Origin-Embedder-Policy']}, the contract's CSP and ${Object.keys(SECURITY_HEADERS).length + 1} other security headers`,
    };
  },
});

/** A page on another origin, as the API's users are. */
const ORIGIN = 'https://smoke-test.example';
const API_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  ...SECURITY_HEADERS,
};

export const apiHeaders = (d: Deployment): Check => ({
  name: 'api-headers',
  async run() {
    const m = d.needManifest();
    const file = `/v1/models/${m.version}/model.json`;
    const problems: string[] = [];
    for (const path of ['/v1/model', file]) {
      const res = await d.get(path, { headers: { Origin: ORIGIN } });
      await res.body?.cancel();
      problems.push(...headerProblems(res.headers, API_HEADERS).map((p) => `${path}: ${p}`));
    }
    // A ranged download from another origin is preflighted.
    const pre = await d.fetch(file, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'range',
      },
    });
    const allowed = (pre.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase();
    if (
      pre.status >= 300 ||
      pre.headers.get('Access-Control-Allow-Origin') !== '*' ||
      !/\brange\b/.test(allowed)
    )
      problems.push(
        `OPTIONS ${file}: preflight for a Range request answered ${pre.status} without allowing it`,
      );
    if (problems.length) return { ok: false, detail: problems.join('; ') };
    return {
      ok: true,
      detail:
        'CORS * and CORP cross-origin on /v1/model and the files (Range preflight allowed), security headers present',
    };
  },
});
