// The worker tests' handle on the GitHub stand-in (github-stand-in.ts), for one repository: what it
// received, the runs it lists, and a scripted reply for its next request of a method.
import { inject } from 'vitest';
import type { NextReply, ReceivedRequest, StandInRun } from './github-stand-in.ts';

export function gitHubStandIn(owner: string, repo = 'mnist-gan') {
  const at = (what: string) => `${inject('githubApi')}/__${what}/${owner}/${repo}`;
  const json = async <T>(res: Promise<Response>) => (await (await res).json()) as T;
  return {
    received: () => json<ReceivedRequest[]>(fetch(at('received'))),
    runs: () => json<StandInRun[]>(fetch(at('runs'))),
    setRuns: (runs: StandInRun[]) =>
      json<StandInRun[]>(fetch(at('runs'), { method: 'PUT', body: JSON.stringify(runs) })),
    nextReply: (method: NextReply['method'], status: number, body: unknown) => {
      const reply: NextReply = {
        method,
        status,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      };
      return json<unknown>(fetch(at('next'), { method: 'POST', body: JSON.stringify(reply) }));
    },
  };
}

/** A run as GitHub lists it. */
export const run = (id: number, status: string, createdAt = '2026-04-20T10:00:00Z'): StandInRun => ({
  id,
  html_url: `https://github.com/octo-org/mnist-gan/actions/runs/${id}`,
  status,
  created_at: createdAt,
});
