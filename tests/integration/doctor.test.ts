// npm run doctor against a temporary wrangler.toml and loopback stand-ins for R2's S3 API (checking
// each request's SigV4 signature), GitHub's REST API and Cloudflare's API: the real CLI in its own
// process, as a maintainer runs it. Each broken item must fail naming the command that fixes it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { usageTests } from './cli-usage.ts';
import { type CloudflareStandIn, startCloudflareStandIn } from './cloudflare-stand-in.ts';
import { type GitHubApiStandIn, type StandInRepo, startGitHubApiStandIn } from './github-api-stand-in.ts';
import { type S3StandIn, startS3StandIn } from './s3-stand-in.ts';

const SCRIPT = 'bin/doctor.ts';
const SLUG = 'alice/mnist-on-device-gan';
const BUCKET = 'mnist-gan-models';
const ACCOUNT = '0123456789abcdef0123456789abcdef';
const SECRETS = [
  'R2_ACCOUNT_ID',
  'R2_ACCESS_KEY_ID',
  'R2_SECRET_ACCESS_KEY',
  'R2_BUCKET',
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_ACCOUNT_ID',
];

let dir: string;
let s3: S3StandIn;
let github: GitHubApiStandIn;
let cloudflare: CloudflareStandIn;
/** The shipped wrangler.toml with the owner filled in. */
let config: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-'));
  s3 = await startS3StandIn({ bucket: BUCKET, accessKeyId: 'r2-key', secretAccessKey: 'r2-secret' });
  github = await startGitHubApiStandIn('gh-token');
  cloudflare = await startCloudflareStandIn({ token: 'cf-token', account: ACCOUNT, subdomain: 'alice-sub' });
  config = writeConfig('wrangler.toml', (t) =>
    t.replace('GITHUB_OWNER = "your-github-user"', 'GITHUB_OWNER = "alice"'),
  );
});
afterAll(async () => {
  await Promise.all([s3.close(), github.close(), cloudflare.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a live deployment needs, in place; each test breaks one part. */
const completeRepo = (): StandInRepo => ({
  secrets: [...SECRETS],
  variables: { GPU_RUNNER_LABEL: 'gpu', MODEL_API_URL: 'https://mnist-gan.alice-sub.workers.dev' },
  runners: [
    { name: 'build-box', status: 'online', labels: ['self-hosted', 'Linux', 'X64'] },
    { name: 'gpu-box', status: 'online', labels: ['self-hosted', 'Linux', 'X64', 'GPU'] },
  ],
  workflows: { 'train.yml': 'active', 'ci.yml': 'active' },
});
beforeEach(() => {
  s3.objects.clear();
  s3.objects.set('latest.json', Buffer.from('{}'));
  github.repos.clear();
  github.repos.set(SLUG, completeRepo());
  cloudflare.workers.clear();
  cloudflare.workers.set('mnist-gan', ['GITHUB_TOKEN', 'RETRAIN_TOKEN']);
});

const completeEnv = (): NodeJS.ProcessEnv => ({
  R2_ACCOUNT_ID: ACCOUNT,
  R2_ACCESS_KEY_ID: 'r2-key',
  R2_SECRET_ACCESS_KEY: 'r2-secret',
  R2_BUCKET: BUCKET,
  R2_ENDPOINT: s3.url,
  CLOUDFLARE_API_TOKEN: 'cf-token',
  CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
  CLOUDFLARE_API_BASE_URL: cloudflare.url,
  GITHUB_TOKEN: 'gh-token',
  GITHUB_API_URL: github.url,
});

function writeConfig(name: string, edit: (text: string) => string): string {
  const path = join(dir, name);
  writeFileSync(path, edit(readFileSync('wrangler.toml', 'utf8')));
  return path;
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The item lines, trimmed. */
  items: string[];
}

/**
 * Runs the CLI in its own process, without this machine's environment (only PATH and HOME), so no
 * real credential can leak in. Asynchronous: the stand-ins answer from this process.
 */
function doctor(env: NodeJS.ProcessEnv, args: string[] = ['--config', config]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const items = stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^(ok|FAIL|warn|----) /.test(l));
      resolve({ status, stdout, stderr, items });
    });
  });
}

/** The one item line that starts with `start` (its status and the beginning of what it says). */
function line(o: Outcome, start: string): string {
  const found = o.items.filter((l) => l.startsWith(start));
  expect(found, `one line starting with ${start} in:\n${o.stdout}`).toHaveLength(1);
  return found[0];
}
const fixOf = (l: string) => l.split(' — fix: ')[1];

describe('npm run doctor', () => {
  it('without credentials: the whole checklist, the remote items not checked, each with its fix; exit 1', async () => {
    const seen = [s3.seen.length, github.seen.length, cloudflare.seen.length];
    const o = await doctor({});
    expect(o.status).toBe(1);
    expect(o.stderr).toBe('');
    // Every item that is not ok names its fix.
    for (const l of o.items.filter((l) => !l.startsWith('ok '))) expect(fixOf(l), l).toMatch(/\S/);
    expect(fixOf(line(o, 'FAIL R2_BUCKET is not set'))).toBe(`export R2_BUCKET=${BUCKET}`);
    expect(fixOf(line(o, 'FAIL GITHUB_TOKEN or GH_TOKEN is not set'))).toBe(
      'export GITHUB_TOKEN=$(gh auth token)',
    );
    expect(fixOf(line(o, `---- R2 bucket ${BUCKET} reachable`))).toBe(
      `npx wrangler r2 bucket create ${BUCKET}`,
    );
    expect(line(o, '---- worker secret RETRAIN_TOKEN')).toContain(
      'not checked, needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID',
    );
    expect(fixOf(line(o, '---- worker secret RETRAIN_TOKEN'))).toMatch(
      new RegExp(`^npx wrangler secret put RETRAIN_TOKEN --config ${config} `),
    );
    for (const s of SECRETS) {
      const l = line(o, `---- repository secret ${s}:`);
      expect(l).toContain('not checked, needs GITHUB_TOKEN or GH_TOKEN');
      expect(fixOf(l)).toBe(
        `gh secret set ${s} --repo ${SLUG} --body ${s === 'R2_BUCKET' ? BUCKET : `"$${s}"`}`,
      );
    }
    expect(fixOf(line(o, '---- repository variable GPU_RUNNER_LABEL'))).toMatch(
      new RegExp(`^gh variable set GPU_RUNNER_LABEL --repo ${SLUG} --body gpu `),
    );
    line(o, '---- repository variable MODEL_API_URL');
    line(o, '---- a self-hosted runner labelled GPU_RUNNER_LABEL online');
    line(o, '---- workflow train.yml on GitHub');
    // What could be checked locally was.
    line(o, 'ok   [vars] GITHUB_OWNER = "alice"');
    expect(o.stdout).toMatch(/NOT READY: \d+ ok, 7 to fix, 0 warnings, 16 not checked/);
    // Nothing remote was asked.
    expect([s3.seen.length, github.seen.length, cloudflare.seen.length]).toEqual(seen);
  });

  it('a complete configuration: every item ok, exit 0; signed S3 requests, both tokens presented, lists paged', async () => {
    const from = { s3: s3.seen.length, github: github.seen.length, cloudflare: cloudflare.seen.length };
    const o = await doctor(completeEnv());
    expect(
      o.items.filter((l) => !l.startsWith('ok ')),
      o.stdout,
    ).toEqual([]);
    expect(o.status).toBe(0);
    expect(o.items.length).toBeGreaterThan(25);
    line(o, 'ok   self-hosted runner gpu-box labelled gpu is online');
    line(o, 'ok   a model promoted in R2 (latest.json)');
    expect(o.stdout).toMatch(/\nready: \d+ ok, 0 to fix, 0 warnings, 0 not checked\n/);

    const r2 = s3.seen.slice(from.s3);
    expect(r2.length).toBeGreaterThan(0);
    for (const r of r2)
      expect(r.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=r2-key\/\d{8}\/auto\/s3\/aws4_request, /);
    expect(r2.map((r) => r.url)).toEqual([`/${BUCKET}?list-type=2&prefix=latest.json`]);
    const gh = github.seen.slice(from.github);
    for (const r of gh) expect(r.auth).toBe('Bearer gh-token');
    // Six secrets at the stand-in's two a page: three pages.
    expect(gh.filter((r) => r.url.startsWith(`/repos/${SLUG}/actions/secrets?`))).toHaveLength(3);
    const cf = cloudflare.seen.slice(from.cloudflare);
    expect(cf.map((r) => r.url)).toContain(
      `/client/v4/accounts/${ACCOUNT}/workers/scripts/mnist-gan/secrets`,
    );
    for (const r of cf) expect(r.auth).toBe('Bearer cf-token');
  });

  it("the placeholder owner fails, naming the edit; GitHub's checks then wait for the repository", async () => {
    const placeholder = writeConfig('placeholder.toml', (t) => t);
    const o = await doctor(completeEnv(), ['--config', placeholder]);
    expect(o.status).toBe(1);
    const l = line(o, `FAIL ${placeholder} [vars] GITHUB_OWNER is still the placeholder "your-github-user"`);
    expect(fixOf(l)).toBe(
      `edit ${placeholder}: [vars] GITHUB_OWNER = "<the GitHub user or organisation that owns this repository>"`,
    );
    expect(line(o, '---- repository secret R2_BUCKET')).toContain(
      "not checked, needs wrangler.toml's GITHUB_OWNER and GITHUB_REPO (or GITHUB_REPOSITORY)",
    );
    // GITHUB_REPOSITORY names the repository: the fix suggests its owner, and GitHub is checked.
    const named = await doctor({ ...completeEnv(), GITHUB_REPOSITORY: SLUG }, ['--config', placeholder]);
    expect(named.status).toBe(1);
    expect(fixOf(line(named, `FAIL ${placeholder} [vars] GITHUB_OWNER`))).toBe(
      `edit ${placeholder}: [vars] GITHUB_OWNER = "alice"`,
    );
    line(named, 'ok   repository secret R2_BUCKET is set');
    expect(
      named.items.filter((i) => !i.startsWith('ok ')),
      named.stdout,
    ).toHaveLength(1);
  });

  it("R2_BUCKET other than wrangler.toml's bucket_name fails, naming both fixes", async () => {
    const o = await doctor({ ...completeEnv(), R2_BUCKET: 'other-bucket' });
    expect(o.status).toBe(1);
    const l = line(o, 'FAIL R2_BUCKET is "other-bucket" but');
    expect(l).toContain(`bucket_name is "${BUCKET}": the deployed worker would answer no_model`);
    expect(fixOf(l)).toBe(
      `export R2_BUCKET=${BUCKET}; gh secret set R2_BUCKET --repo ${SLUG} --body ${BUCKET}`,
    );
    // The stand-in has no such bucket: the fix is the variable, not a bucket nobody reads.
    expect(fixOf(line(o, 'FAIL R2 bucket other-bucket does not exist (HTTP 404 NoSuchBucket)'))).toMatch(
      new RegExp(`^export R2_BUCKET=${BUCKET} `),
    );
  });

  it('a missing repository secret, worker secret or variable fails, naming its command', async () => {
    const repo = completeRepo();
    repo.secrets = repo.secrets.filter((s) => s !== 'CLOUDFLARE_API_TOKEN');
    delete repo.variables.MODEL_API_URL;
    github.repos.set(SLUG, repo);
    cloudflare.workers.set('mnist-gan', ['GITHUB_TOKEN']);
    const o = await doctor(completeEnv());
    expect(o.status).toBe(1);
    expect(fixOf(line(o, 'FAIL repository secret CLOUDFLARE_API_TOKEN is not set'))).toBe(
      `gh secret set CLOUDFLARE_API_TOKEN --repo ${SLUG} --body "$CLOUDFLARE_API_TOKEN"`,
    );
    expect(fixOf(line(o, 'FAIL worker secret RETRAIN_TOKEN is not set'))).toMatch(
      new RegExp(`^npx wrangler secret put RETRAIN_TOKEN --config ${config} `),
    );
    line(o, 'ok   worker secret GITHUB_TOKEN is set');
    // The workers.dev address comes from the account's subdomain.
    expect(fixOf(line(o, 'FAIL repository variable MODEL_API_URL is not set'))).toBe(
      `gh variable set MODEL_API_URL --repo ${SLUG} --body https://mnist-gan.alice-sub.workers.dev`,
    );
    expect(o.items.filter((i) => i.startsWith('FAIL'))).toHaveLength(3);
  });

  it('a runner offline fails; none labelled warns (a GPU larger runner is not listed) and exits 0', async () => {
    const repo = completeRepo();
    repo.runners[1].status = 'offline';
    github.repos.set(SLUG, repo);
    const offline = await doctor(completeEnv());
    expect(offline.status).toBe(1);
    const l = line(offline, 'FAIL self-hosted runner gpu-box labelled gpu is offline');
    expect(fixOf(l)).toMatch(/^\.\/run\.sh /);

    github.repos.set(SLUG, { ...completeRepo(), runners: [] });
    const none = await doctor(completeEnv());
    const w = line(none, `warn no self-hosted runner of ${SLUG} is labelled gpu`);
    expect(w).toContain('fine if gpu names a GitHub-hosted GPU larger runner');
    expect(fixOf(w)).toMatch(
      new RegExp(
        `^\\./config\\.sh --url https://github\\.com/${SLUG} --labels gpu --token \\$\\(gh api -X POST repos/${SLUG}/actions/runners/registration-token --jq \\.token\\)`,
      ),
    );
    expect(none.status).toBe(0);
    expect(none.stdout).toMatch(/\nready: \d+ ok, 0 to fix, 1 warning, 0 not checked\n/);
  });

  it('R2 refusing the key, no promoted model, no worker, a disabled workflow, a token without access: each fails naming its fix', async () => {
    s3.objects.clear();
    cloudflare.workers.clear();
    github.repos.set(SLUG, {
      ...completeRepo(),
      workflows: { 'train.yml': 'disabled_manually' },
      forbidden: ['runners'],
    });
    const o = await doctor(completeEnv());
    expect(o.status).toBe(1);
    expect(line(o, 'warn no model promoted in R2 yet')).toContain(
      'fix: npm run publish -- --model model/shipped --target r2 --promote',
    );
    expect(fixOf(line(o, 'FAIL worker mnist-gan is not deployed (HTTP 404: 10007'))).toBe(
      `npm run build:web && npx wrangler deploy --config ${config}`,
    );
    line(o, '---- worker secret GITHUB_TOKEN: not checked, needs the worker deployed');
    expect(fixOf(line(o, 'FAIL workflow train.yml on GitHub is disabled_manually'))).toBe(
      `gh workflow enable train.yml --repo ${SLUG}`,
    );
    const runners = line(
      o,
      "FAIL cannot list the repository's self-hosted runners (HTTP 403: Resource not accessible by personal access token)",
    );
    expect(fixOf(runners)).toContain('Administration: Read');

    const wrongSecret = await doctor({ ...completeEnv(), R2_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(
      fixOf(line(wrongSecret, 'FAIL R2 refused the R2 API token (HTTP 403 SignatureDoesNotMatch)')),
    ).toMatch(/^export R2_ACCESS_KEY_ID=<id> R2_SECRET_ACCESS_KEY=<secret> /);
    const wrongTokens = await doctor({
      ...completeEnv(),
      GITHUB_TOKEN: 'expired',
      CLOUDFLARE_API_TOKEN: 'revoked',
    });
    expect(
      fixOf(line(wrongTokens, `FAIL GitHub repository ${SLUG} not readable (HTTP 401: Bad credentials)`)),
    ).toBe('export GITHUB_TOKEN=$(gh auth token)');
    line(wrongTokens, `---- repository secret R2_BUCKET: not checked, needs ${SLUG} readable`);
    line(wrongTokens, 'FAIL Cloudflare refused CLOUDFLARE_API_TOKEN');
  });

  it('an unreadable wrangler.toml and a dead endpoint are items, not crashes', async () => {
    const broken = writeConfig('broken.toml', (t) => t.replace('[vars]', '[vars'));
    const o = await doctor(completeEnv(), ['--config', broken]);
    expect(o.status).toBe(1);
    expect(o.stderr).toBe('');
    expect(fixOf(line(o, `FAIL ${broken} is not valid TOML (`))).toMatch(/^edit .*: correct line \d+$/);

    // A port nothing listens on: one just closed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = await doctor({ ...completeEnv(), GITHUB_API_URL: `http://127.0.0.1:${port}` });
    expect(dead.status).toBe(1);
    expect(dead.stderr).toBe('');
    expect(line(dead, "FAIL GitHub's API unreachable")).toContain('ECONNREFUSED');
    line(dead, "---- repository secret R2_BUCKET: not checked, needs GitHub's API");
  });
});

usageTests(SCRIPT, {
  usage: 'npm run doctor --',
  help: [
    '--config <path>',
    '(default: "wrangler.toml")',
    '--timeout <seconds>',
    'GITHUB_REPOSITORY',
    'R2_ENDPOINT',
  ],
  errors: [
    [['--config', '/no/such/wrangler.toml'], '--config: no file /no/such/wrangler.toml'],
    [['--timeout', '0'], '--timeout must be a positive number'],
    [['extra'], 'too many arguments'],
  ],
});
