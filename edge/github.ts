// GitHub's Actions API for the training workflow: the runs it holds, and workflow_dispatch asking for
// the run it started (return_run_details).
import { z } from 'zod';
import { ACTIVE_RUN_STATUSES, type ActiveRunStatus } from '../contract/index.ts';
import type { Env } from './env.ts';
import { HttpError } from './errors.ts';

export interface DispatchedRun {
  runId: number | null;
  runUrl: string;
}

export interface ActiveRun {
  runId: number;
  runUrl: string;
  status: ActiveRunStatus;
}

const isActive = (s: string): s is ActiveRunStatus => (ACTIVE_RUN_STATUSES as readonly string[]).includes(s);

/** The fields read from GitHub's "list workflow runs" answer (it has many more). */
const runsPageSchema = z.object({
  workflow_runs: z.array(
    z.object({ id: z.number().int(), html_url: z.string(), status: z.string(), created_at: z.string() }),
  ),
});

function workflowPath(env: Env): { repo: string; path: string } {
  const repo = `${encodeURIComponent(env.GITHUB_OWNER)}/${encodeURIComponent(env.GITHUB_REPO)}`;
  return { repo, path: `/repos/${repo}/actions/workflows/${encodeURIComponent(env.GITHUB_WORKFLOW)}` };
}

/** One call to GitHub's API: its JSON, or the API's 502 saying what GitHub refused (`what`). */
async function callGitHub(
  env: Env,
  token: string,
  path: string,
  what: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const url = `${env.GITHUB_API.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'mnist-gan-edge',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new HttpError(502, 'github_unreachable', 'GitHub could not be reached; no retrain was started.');
  }
  const text = await res.text();
  let json: unknown = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // GitHub answers JSON; anything else is reported by status below.
  }
  const record = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  if (!res.ok) {
    const said = typeof record.message === 'string' ? record.message.slice(0, 300) : `HTTP ${res.status}`;
    throw new HttpError(
      502,
      'github_error',
      `GitHub refused ${what} (${res.status}): ${said}; no retrain was started.`,
    );
  }
  return record;
}

/**
 * The newest run of the workflow that has not finished, or null. One request per status (the API
 * filters by one status at a time), at once; the statuses are checked here as well, in case a
 * server ignores the filter.
 */
export async function activeRun(env: Env, token: string): Promise<ActiveRun | null> {
  const { path } = workflowPath(env);
  const what = 'the list of training runs';
  const pages = await Promise.all(
    ACTIVE_RUN_STATUSES.map((status) =>
      callGitHub(env, token, `${path}/runs?status=${status}&per_page=1`, what),
    ),
  );
  const runs = pages.flatMap((page) => {
    const parsed = runsPageSchema.safeParse(page);
    if (!parsed.success) {
      throw new HttpError(
        502,
        'github_error',
        "GitHub's list of training runs was not understood; no retrain was started.",
      );
    }
    return parsed.data.workflow_runs;
  });
  let newest: ActiveRun | null = null;
  let newestAt = '';
  for (const run of runs) {
    // created_at is ISO 8601 in UTC: strings compare as times.
    if (!isActive(run.status) || (newest && run.created_at <= newestAt)) continue;
    newest = { runId: run.id, runUrl: run.html_url, status: run.status };
    newestAt = run.created_at;
  }
  return newest;
}

export async function dispatchWorkflow(
  env: Env,
  token: string,
  inputs: Record<string, string>,
): Promise<DispatchedRun> {
  const { repo, path } = workflowPath(env);
  const body = await callGitHub(env, token, `${path}/dispatches`, 'the dispatch', {
    ref: env.GITHUB_REF,
    inputs,
    return_run_details: true,
  });
  const runsPage = `https://github.com/${repo}/actions/workflows/${encodeURIComponent(env.GITHUB_WORKFLOW)}`;
  return {
    runId: typeof body.workflow_run_id === 'number' ? body.workflow_run_id : null,
    runUrl: typeof body.html_url === 'string' ? body.html_url : runsPage,
  };
}
