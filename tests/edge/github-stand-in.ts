// A stand-in for GitHub's Actions API on loopback, run in Node by global-setup.ts. Like GitHub, it
// lists a workflow's runs (filtered by one status, newest first) and answers a dispatch with the run
// it started, which it then lists as queued. Each repository (owner/name) has its own state, so test
// files that use different owners never see each other's calls.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A run as GitHub lists it (the fields the worker reads). */
export interface StandInRun {
  id: number;
  html_url: string;
  status: string;
  created_at: string;
}

/** The reply the next request with that method gets instead of the stand-in's own. */
export interface NextReply {
  method: 'GET' | 'POST';
  status: number;
  body: string;
}

interface Repo {
  received: ReceivedRequest[];
  runs: StandInRun[];
  next: NextReply[];
  dispatches: number;
}

const WORKFLOW = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/[^/]+\/(dispatches|runs)$/;
// Test controls: /__received|__runs|__next/owner/name.
const CONTROL = /^\/__(received|runs|next)\/([^/]+)\/([^/]+)$/;

export async function startGitHubStandIn(): Promise<{ url: string; close: () => Promise<void> }> {
  const repos = new Map<string, Repo>();
  const repoOf = (owner: string, name: string): Repo => {
    const key = `${owner}/${name}`;
    let repo = repos.get(key);
    if (!repo) {
      repo = { received: [], runs: [], next: [], dispatches: 0 };
      repos.set(key, repo);
    }
    return repo;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString('utf8');
    });
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(typeof value === 'string' ? value : JSON.stringify(value));
      };
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const control = CONTROL.exec(url.pathname);
      if (control) {
        const repo = repoOf(control[2], control[3]);
        if (control[1] === 'received') return send(200, repo.received);
        if (control[1] === 'runs' && req.method === 'PUT') repo.runs = JSON.parse(body) as StandInRun[];
        if (control[1] === 'runs') return send(200, repo.runs);
        repo.next.push(JSON.parse(body) as NextReply);
        return send(200, {});
      }
      const api = WORKFLOW.exec(url.pathname);
      if (!api) return send(404, { message: 'Not Found' });
      const repo = repoOf(decodeURIComponent(api[1]), decodeURIComponent(api[2]));
      repo.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
      });
      const scripted = repo.next.findIndex((n) => n.method === req.method);
      if (scripted >= 0) {
        const [reply] = repo.next.splice(scripted, 1);
        return send(reply.status, reply.body);
      }
      if (api[3] === 'runs' && req.method === 'GET') {
        const status = url.searchParams.get('status');
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const runs = repo.runs
          .filter((r) => status === null || r.status === status)
          .sort((a, b) => b.created_at.localeCompare(a.created_at));
        return send(200, { total_count: runs.length, workflow_runs: runs.slice(0, perPage) });
      }
      if (api[3] === 'dispatches' && req.method === 'POST') {
        repo.dispatches += 1;
        const id = 4242 + repo.dispatches;
        const html_url = `https://github.com/${api[1]}/${api[2]}/actions/runs/${id}`;
        repo.runs.push({ id, html_url, status: 'queued', created_at: new Date().toISOString() });
        return send(200, {
          workflow_run_id: id,
          run_url: `https://api.github.com/repos/${api[1]}/${api[2]}/actions/runs/${id}`,
          html_url,
        });
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
