// GitHub's workflow_dispatch, asking for the run it started (return_run_details).
import type { Env } from './env.ts';
import { HttpError } from './errors.ts';

export interface DispatchedRun {
  runId: number | null;
  runUrl: string;
}

export async function dispatchWorkflow(
  env: Env,
  token: string,
  inputs: Record<string, string>,
): Promise<DispatchedRun> {
  const base = env.GITHUB_API.replace(/\/+$/, '');
  const repo = `${encodeURIComponent(env.GITHUB_OWNER)}/${encodeURIComponent(env.GITHUB_REPO)}`;
  const url = `${base}/repos/${repo}/actions/workflows/${encodeURIComponent(env.GITHUB_WORKFLOW)}/dispatches`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'Content-Type': 'application/json',
        'User-Agent': 'mnist-gan-edge',
      },
      body: JSON.stringify({ ref: env.GITHUB_REF, inputs, return_run_details: true }),
    });
  } catch {
    throw new HttpError(502, 'github_unreachable', 'GitHub could not be reached; no retrain was started.');
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // GitHub answers JSON; anything else is reported by status below.
  }
  if (!res.ok) {
    const said = typeof body.message === 'string' ? body.message.slice(0, 300) : `HTTP ${res.status}`;
    throw new HttpError(502, 'github_error', `GitHub refused the dispatch (${res.status}): ${said}`);
  }
  const runsPage = `https://github.com/${repo}/actions/workflows/${encodeURIComponent(env.GITHUB_WORKFLOW)}`;
  return {
    runId: typeof body.workflow_run_id === 'number' ? body.workflow_run_id : null,
    runUrl: typeof body.html_url === 'string' ? body.html_url : runsPage,
  };
}
