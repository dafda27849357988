// The repository's side, through GitHub's REST API with the maintainer's token: the repository
// readable, the secrets the workflows read (names only: values cannot be read), the variables
// train.yml needs, a runner with GPU_RUNNER_LABEL online, and train.yml present and enabled.
import { z } from 'zod';
import { errorMessage } from '../../lib/errors.ts';
import { WORKFLOW } from './config.ts';
import { type Credentials, GITHUB_TOKEN_VARS, type Repository } from './env.ts';
import { getJson, type Reply } from './http.ts';
import { fail, type Item, ok, unchecked, warn } from './item.ts';

/** What train.yml (R2_*) and deploy.yml (CLOUDFLARE_*) read from the repository's secrets. */
export const REPOSITORY_SECRETS = [
  'R2_ACCOUNT_ID',
  'R2_ACCESS_KEY_ID',
  'R2_SECRET_ACCESS_KEY',
  'R2_BUCKET',
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_ACCOUNT_ID',
] as const;

export interface GitHubTarget {
  credentials: Credentials['github'];
  repository?: Repository;
  /** wrangler.toml's bucket_name, the value R2_BUCKET's secret must hold. */
  bucket: string;
  /** The deployed worker's address, when Cloudflare told it. */
  workerUrl?: string;
  /** wrangler.toml's name, for MODEL_API_URL's fix when the address is unknown. */
  worker: string;
  timeoutMs: number;
}

/** A check against the API: what it looks at, and the command that sets it up. */
interface Check {
  what: string;
  fix: string;
}

const messageOf = z.object({ message: z.string() });
const pages = {
  secrets: z.object({ total_count: z.number(), secrets: z.array(z.object({ name: z.string() })) }),
  variables: z.object({
    total_count: z.number(),
    variables: z.array(z.object({ name: z.string(), value: z.string() })),
  }),
  runners: z.object({
    total_count: z.number(),
    runners: z.array(
      z.object({ name: z.string(), status: z.string(), labels: z.array(z.object({ name: z.string() })) }),
    ),
  }),
};
const workflowSchema = z.object({ state: z.string() });
type Rows<K extends keyof typeof pages> = z.infer<(typeof pages)[K]> extends Record<K, infer R> ? R : never;

/** GitHub's answer on one line: `HTTP 403: Resource not accessible by personal access token`. */
const answer = (r: Reply) => {
  const m = messageOf.safeParse(r.body);
  return `HTTP ${r.status}${m.success ? `: ${m.data.message}` : ''}`;
};

class GitHub {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  get(path: string): Promise<Reply> {
    return getJson(
      `${this.base}${path}`,
      {
        Authorization: `Bearer ${this.token}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'mnist-gan-doctor',
      },
      this.timeoutMs,
    );
  }

  /** Every page of a list, or why it could not be read (GitHub caps per_page, so it may take several). */
  async list<K extends keyof typeof pages>(key: K): Promise<Rows<K> | string> {
    const rows: unknown[] = [];
    try {
      for (let page = 1; page <= 100; page++) {
        const r = await this.get(`/actions/${key}?per_page=100&page=${page}`);
        if (r.status !== 200) return answer(r);
        const body = pages[key].parse(r.body);
        const these = (body as Record<K, unknown[]>)[key];
        rows.push(...these);
        if (these.length === 0 || rows.length >= body.total_count) break;
      }
    } catch (e) {
      return errorMessage(e);
    }
    return rows as Rows<K>;
  }
}

export async function checkGitHub(t: GitHubTarget): Promise<Item[]> {
  const slug = t.repository ? `${t.repository.owner}/${t.repository.name}` : '<owner>/<name>';
  const repo = `--repo ${slug}`;
  const access: Check = {
    what: `GitHub repository ${slug} readable with the token`,
    fix: 'export GITHUB_TOKEN=$(gh auth token)',
  };
  const secrets: Check[] = REPOSITORY_SECRETS.map((s) => ({
    what: `repository secret ${s}`,
    fix: `gh secret set ${s} ${repo} --body ${s === 'R2_BUCKET' ? t.bucket : `"$${s}"`}`,
  }));
  const label: Check = {
    what: 'repository variable GPU_RUNNER_LABEL',
    fix: `gh variable set GPU_RUNNER_LABEL ${repo} --body gpu  # a self-hosted runner's label, or a GPU larger runner's name`,
  };
  const modelApi: Check = {
    what: 'repository variable MODEL_API_URL',
    fix: `gh variable set MODEL_API_URL ${repo} --body ${t.workerUrl ?? `https://${t.worker}.<your-subdomain>.workers.dev`}`,
  };
  const runner: Check = {
    what: 'a self-hosted runner labelled GPU_RUNNER_LABEL online',
    fix: runnerFix(slug, 'gpu'),
  };
  const workflow: Check = {
    what: `workflow ${WORKFLOW} on GitHub`,
    fix: `git push  # .github/workflows/${WORKFLOW} on the default branch`,
  };
  const all = [access, ...secrets, label, modelApi, runner, workflow];
  const skip = (checks: Check[], needs: string) => checks.map((c) => unchecked(c.what, needs, c.fix));

  if (!t.credentials) return skip(all, GITHUB_TOKEN_VARS);
  if (!t.repository) return skip(all, "wrangler.toml's GITHUB_OWNER and GITHUB_REPO (or GITHUB_REPOSITORY)");
  const gh = new GitHub(
    `${t.credentials.api}/repos/${encodeURIComponent(t.repository.owner)}/${encodeURIComponent(t.repository.name)}`,
    t.credentials.token,
    t.timeoutMs,
  );
  const tokenFix = (permission: string) =>
    `export GITHUB_TOKEN=<token>  # fine-grained with ${permission} on ${slug}, or $(gh auth token) as its admin`;
  const cannot = (what: string, why: string, permission: string) =>
    fail(`cannot list the repository's ${what} (${why})`, tokenFix(permission));

  // The repository first: a wrong token or name would fail every check below for the same reason.
  let first: Reply;
  try {
    first = await gh.get('');
  } catch (e) {
    return [
      fail(`GitHub's API unreachable (${errorMessage(e)})`, 'check the network, or unset GITHUB_API_URL'),
      ...skip(all.slice(1), "GitHub's API"),
    ];
  }
  if (first.status !== 200) {
    const fix =
      first.status === 404
        ? `edit wrangler.toml: [vars] GITHUB_OWNER and GITHUB_REPO  # or a token that may read ${slug}`
        : access.fix;
    return [
      fail(`GitHub repository ${slug} not readable (${answer(first)})`, fix),
      ...skip(all.slice(1), `${slug} readable`),
    ];
  }
  const items: Item[] = [ok(access.what)];

  const secretRows = await gh.list('secrets');
  if (typeof secretRows === 'string') {
    items.push(cannot('secrets', secretRows, 'Secrets: Read'), ...skip(secrets, 'the secrets list'));
  } else {
    const have = new Set(secretRows.map((s) => s.name));
    items.push(
      ...secrets.map((c, i) =>
        have.has(REPOSITORY_SECRETS[i]) ? ok(`${c.what} is set`) : fail(`${c.what} is not set`, c.fix),
      ),
    );
  }

  const variableRows = await gh.list('variables');
  let runnerLabel: string | undefined;
  if (typeof variableRows === 'string') {
    items.push(
      cannot('variables', variableRows, 'Variables: Read'),
      ...skip([label, modelApi], 'the variables list'),
    );
  } else {
    const value = (n: string) => variableRows.find((v) => v.name === n)?.value.trim() || undefined;
    runnerLabel = value('GPU_RUNNER_LABEL');
    items.push(
      runnerLabel ? ok(`${label.what} = ${runnerLabel}`) : fail(`${label.what} is not set`, label.fix),
    );
    const url = value('MODEL_API_URL');
    items.push(
      !url
        ? fail(`${modelApi.what} is not set`, modelApi.fix)
        : !/^https:\/\/[^/\s]+/.test(url)
          ? fail(`${modelApi.what} is "${url}", not an https URL`, modelApi.fix)
          : ok(`${modelApi.what} = ${url}`),
    );
  }

  if (!runnerLabel) items.push(...skip([runner], 'the variable GPU_RUNNER_LABEL'));
  else {
    const rows = await gh.list('runners');
    items.push(
      typeof rows === 'string'
        ? cannot('self-hosted runners', rows, 'Administration: Read')
        : runnerItem(rows, runnerLabel, slug),
    );
  }

  items.push(await workflowItem(gh, workflow, repo));
  return items;
}

/** Registering a self-hosted runner, in the folder its package was unpacked to. */
const runnerFix = (slug: string, label: string) =>
  `./config.sh --url https://github.com/${slug} --labels ${label} --token $(gh api -X POST repos/${slug}/actions/runners/registration-token --jq .token) && ./run.sh  # in the runner's folder (Settings, Actions, Runners, New self-hosted runner)`;

function runnerItem(rows: Rows<'runners'>, label: string, slug: string): Item {
  // runs-on matches labels case-insensitively.
  const labelled = rows.filter((r) => r.labels.some((l) => l.name.toLowerCase() === label.toLowerCase()));
  const online = labelled.filter((r) => r.status === 'online');
  const names = (rs: typeof rows) => rs.map((r) => r.name).join(', ');
  if (online.length) return ok(`self-hosted runner ${names(online)} labelled ${label} is online`);
  if (labelled.length) {
    return fail(
      `self-hosted runner ${names(labelled)} labelled ${label} is offline: a train run would wait queued`,
      "./run.sh  # or sudo ./svc.sh start, in the runner's folder on its machine",
    );
  }
  // A GitHub-hosted GPU larger runner, or an organisation's runner, is not in the repository's list.
  return warn(
    `no self-hosted runner of ${slug} is labelled ${label}: fine if ${label} names a GitHub-hosted GPU larger runner or an organisation's runner, else a train run waits queued`,
    runnerFix(slug, label),
  );
}

async function workflowItem(gh: GitHub, c: Check, repo: string): Promise<Item> {
  let r: Reply;
  try {
    r = await gh.get(`/actions/workflows/${WORKFLOW}`);
  } catch (e) {
    return fail(`${c.what}: ${errorMessage(e)}`, c.fix);
  }
  if (r.status === 404) return fail(`${c.what} not found (${answer(r)})`, c.fix);
  const w = r.status === 200 ? workflowSchema.safeParse(r.body) : undefined;
  if (!w?.success) return fail(`${c.what}: ${answer(r)}`, c.fix);
  if (w.data.state !== 'active')
    return fail(`${c.what} is ${w.data.state}`, `gh workflow enable ${WORKFLOW} ${repo}`);
  return ok(`${c.what} is active`);
}
