// A loopback stand-in for the parts of GitHub's REST API that npm run doctor reads: a repository,
// its Actions secrets (names), variables, self-hosted runners and workflows. Like GitHub it answers
// 401 to another token, 404 to an unknown repository, 403 to a list the token may not read, and
// pages its lists (capped lower than GitHub's 100 a page, so the doctor's paging is exercised).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRunner {
  name: string;
  status: 'online' | 'offline';
  labels: string[];
}

export interface StandInRepo {
  secrets: string[];
  variables: Record<string, string>;
  runners: StandInRunner[];
  /** Workflow file name → its state (active, disabled_manually, …). */
  workflows: Record<string, string>;
  /** Lists this token may not read. */
  forbidden?: ('secrets' | 'variables' | 'runners')[];
}

export interface GitHubApiStandIn {
  url: string;
  /** owner/name → the repository; tests change it between runs. */
  repos: Map<string, StandInRepo>;
  /** Every request: method, path with query, Authorization. */
  seen: { method: string; url: string; auth: string }[];
  close(): Promise<void>;
}

const MAX_PER_PAGE = 2;

export async function startGitHubApiStandIn(token: string): Promise<GitHubApiStandIn> {
  const repos = new Map<string, StandInRepo>();
  const seen: GitHubApiStandIn['seen'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      auth: String(req.headers.authorization ?? ''),
    });
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { message: 'Bad credentials' });
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/actions\/(secrets|variables|runners|workflows\/([^/]+)))?$/.exec(
      url.pathname,
    );
    const slug = m ? `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}` : '';
    const repo = repos.get(slug);
    if (req.method !== 'GET' || !m || !repo) return send(404, { message: 'Not Found' });
    if (!m[3]) return send(200, { full_name: slug });
    if (m[5]) {
      const state = repo.workflows[m[5]];
      return state
        ? send(200, { id: 1, path: `.github/workflows/${m[5]}`, state })
        : send(404, { message: 'Not Found' });
    }
    const key = m[4] as 'secrets' | 'variables' | 'runners';
    if (repo.forbidden?.includes(key))
      return send(403, { message: 'Resource not accessible by personal access token' });
    const rows =
      key === 'secrets'
        ? repo.secrets.map((name) => ({
            name,
            created_at: '2026-12-01T00:00:00Z',
            updated_at: '2026-12-01T00:00:00Z',
          }))
        : key === 'variables'
          ? Object.entries(repo.variables).map(([name, value]) => ({ name, value }))
          : repo.runners.map((r, i) => ({
              id: i + 1,
              name: r.name,
              os: 'linux',
              status: r.status,
              busy: false,
              labels: r.labels.map((name) => ({ name, type: 'custom' })),
            }));
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), MAX_PER_PAGE);
    const page = Number(url.searchParams.get('page') ?? 1);
    send(200, { total_count: rows.length, [key]: rows.slice((page - 1) * perPage, page * perPage) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    repos,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
