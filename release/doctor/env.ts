// The maintainer's local environment: the credentials the remote checks (and publishing, and
// deploy.yml's secrets) use, and whether they agree with wrangler.toml.
import { R2_ENV } from '../r2-store.ts';
import type { Wrangler } from './config.ts';
import { fail, type Item, ok } from './item.ts';

export interface Repository {
  owner: string;
  name: string;
}

/** What the remote checks may use; a part is absent when its credentials are not all there. */
export interface Credentials {
  /** R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and R2_BUCKET are all set. */
  r2: boolean;
  cloudflare?: { token: string; account: string; api: string };
  github?: { token: string; api: string };
  /** The repository whose settings are checked: GITHUB_REPOSITORY, else wrangler.toml's. */
  repository?: Repository;
}

export const GITHUB_API = 'https://api.github.com';
export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';
export const GITHUB_TOKEN_VARS = 'GITHUB_TOKEN or GH_TOKEN';

const set = (env: NodeJS.ProcessEnv, k: string): string | undefined => env[k]?.trim() || undefined;

/** GITHUB_REPOSITORY as owner/name, undefined when unset; a malformed one is reported by checkEnvironment. */
export function repositoryFromEnv(env: NodeJS.ProcessEnv): Repository | undefined {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(set(env, 'GITHUB_REPOSITORY') ?? '');
  return m ? { owner: m[1], name: m[2] } : undefined;
}

/** How a fix names the repository: `--repo owner/name`. */
export const repoFlag = (r: Repository | undefined): string =>
  `--repo ${r ? `${r.owner}/${r.name}` : '<owner>/<name>'}`;

/** Where an API lives: the override when it is a URL, else the default; undefined when it is not one. */
function apiBase(override: string | undefined, fallback: string): string | undefined {
  const url = (override ?? fallback).replace(/\/+$/, '');
  return /^https?:\/\/[^/\s]+/.test(url) ? url : undefined;
}

export function checkEnvironment(
  env: NodeJS.ProcessEnv,
  w: Wrangler,
): { items: Item[]; credentials: Credentials } {
  const items: Item[] = [];
  const has = (k: string) => set(env, k) !== undefined;
  const repository = repositoryOf(env, w);
  const bucket = w.bucket ?? 'mnist-gan-models';
  const account = has('CLOUDFLARE_ACCOUNT_ID') ? '"$CLOUDFLARE_ACCOUNT_ID"' : '<your Cloudflare account ID>';
  const howToSet: Record<string, string> = {
    R2_ACCOUNT_ID: `export R2_ACCOUNT_ID=${account}`,
    R2_ACCESS_KEY_ID:
      'export R2_ACCESS_KEY_ID=<Access Key ID>  # an R2 API token with Object Read & Write on the bucket (dashboard: R2, Manage API tokens)',
    R2_SECRET_ACCESS_KEY: 'export R2_SECRET_ACCESS_KEY=<Secret Access Key>  # of the same R2 API token',
    R2_BUCKET: `export R2_BUCKET=${bucket}`,
    CLOUDFLARE_API_TOKEN:
      'export CLOUDFLARE_API_TOKEN=<token>  # an API token from the "Edit Cloudflare Workers" template (dashboard: My Profile, API Tokens)',
    CLOUDFLARE_ACCOUNT_ID: has('R2_ACCOUNT_ID')
      ? 'export CLOUDFLARE_ACCOUNT_ID="$R2_ACCOUNT_ID"'
      : 'export CLOUDFLARE_ACCOUNT_ID=<account ID>  # npx wrangler whoami lists it',
  };
  const named = (k: string) => items.push(has(k) ? ok(`${k} is set`) : fail(`${k} is not set`, howToSet[k]));

  for (const k of R2_ENV) named(k);
  const r2Bucket = set(env, 'R2_BUCKET');
  if (r2Bucket && w.bucket) {
    items.push(
      r2Bucket === w.bucket
        ? ok(`R2_BUCKET is ${w.path}'s bucket_name (${w.bucket})`)
        : fail(
            `R2_BUCKET is "${r2Bucket}" but ${w.path}'s bucket_name is "${w.bucket}": the deployed worker would answer no_model`,
            `export R2_BUCKET=${w.bucket}; gh secret set R2_BUCKET ${repoFlag(repository)} --body ${w.bucket}`,
          ),
    );
  }

  named('CLOUDFLARE_API_TOKEN');
  named('CLOUDFLARE_ACCOUNT_ID');
  const r2Account = set(env, 'R2_ACCOUNT_ID');
  const cfAccount = set(env, 'CLOUDFLARE_ACCOUNT_ID');
  if (r2Account && cfAccount && r2Account !== cfAccount) {
    // The worker's R2 binding reads the deploying account's bucket; a publish elsewhere is unseen.
    items.push(
      fail(
        'R2_ACCOUNT_ID and CLOUDFLARE_ACCOUNT_ID differ: the worker reads the bucket of the account it is deployed to',
        'export R2_ACCOUNT_ID="$CLOUDFLARE_ACCOUNT_ID"',
      ),
    );
  }
  const cfApi = apiBase(set(env, 'CLOUDFLARE_API_BASE_URL'), CLOUDFLARE_API);
  if (!cfApi)
    items.push(fail('CLOUDFLARE_API_BASE_URL is not an http(s) URL', 'unset CLOUDFLARE_API_BASE_URL'));

  const githubToken = set(env, 'GITHUB_TOKEN') ?? set(env, 'GH_TOKEN');
  items.push(
    githubToken
      ? ok(`${has('GITHUB_TOKEN') ? 'GITHUB_TOKEN' : 'GH_TOKEN'} is set`)
      : fail(`${GITHUB_TOKEN_VARS} is not set`, 'export GITHUB_TOKEN=$(gh auth token)'),
  );
  const githubApi = apiBase(set(env, 'GITHUB_API_URL') ?? w.api, GITHUB_API);
  if (!githubApi) items.push(fail('GITHUB_API_URL is not an http(s) URL', 'unset GITHUB_API_URL'));

  const given = set(env, 'GITHUB_REPOSITORY');
  const fromEnv = repositoryFromEnv(env);
  const fromToml = w.owner && w.repo ? { owner: w.owner, name: w.repo } : undefined;
  if (given && !fromEnv) {
    items.push(fail(`GITHUB_REPOSITORY is "${given}", not owner/name`, 'unset GITHUB_REPOSITORY'));
  } else if (
    fromEnv &&
    fromToml &&
    `${fromEnv.owner}/${fromEnv.name}` !== `${fromToml.owner}/${fromToml.name}`
  ) {
    items.push(
      fail(
        `GITHUB_REPOSITORY is ${given} but ${w.path}'s [vars] dispatch retrains to ${fromToml.owner}/${fromToml.name}`,
        `edit ${w.path}: [vars] GITHUB_OWNER = "${fromEnv.owner}", GITHUB_REPO = "${fromEnv.name}"`,
      ),
    );
  } else if (fromEnv ?? fromToml) {
    const r = (fromEnv ?? fromToml) as Repository;
    items.push(
      ok(`GitHub repository: ${r.owner}/${r.name} (${fromEnv ? 'GITHUB_REPOSITORY' : `${w.path}'s [vars]`})`),
    );
  }

  const cfToken = set(env, 'CLOUDFLARE_API_TOKEN');
  return {
    items,
    credentials: {
      r2: R2_ENV.every(has),
      cloudflare:
        cfToken && cfAccount && cfApi ? { token: cfToken, account: cfAccount, api: cfApi } : undefined,
      github: githubToken && githubApi ? { token: githubToken, api: githubApi } : undefined,
      repository,
    },
  };
}

function repositoryOf(env: NodeJS.ProcessEnv, w: Wrangler): Repository | undefined {
  return repositoryFromEnv(env) ?? (w.owner && w.repo ? { owner: w.owner, name: w.repo } : undefined);
}
