// The deployed worker, through Cloudflare's API with CLOUDFLARE_API_TOKEN (what wrangler and
// deploy.yml use): that it exists, that its secrets GITHUB_TOKEN and RETRAIN_TOKEN are set (names
// only: values cannot be read), and its workers.dev address for MODEL_API_URL's fix.
import { z } from 'zod';
import type { Credentials } from './env.ts';
import { getJson } from './http.ts';
import { fail, type Item, ok, unchecked } from './item.ts';

export const WORKER_SECRETS = ['GITHUB_TOKEN', 'RETRAIN_TOKEN'] as const;

export interface CloudflareTarget {
  credentials: Credentials['cloudflare'];
  /** wrangler.toml's name. */
  worker?: string;
  /** `--config PATH` for wrangler commands, or ''. */
  flag: string;
  /** owner/name, for the GitHub token's scope. */
  repository: string;
  timeoutMs: number;
}

const envelope = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number(), message: z.string() })).default([]),
  result: z.unknown(),
});
const secretList = z.array(z.object({ name: z.string() }));
const subdomain = z.object({ subdomain: z.string() });

export async function checkCloudflare(t: CloudflareTarget): Promise<{ items: Item[]; workerUrl?: string }> {
  const name = t.worker ?? '<name>';
  const deployed = `worker ${name} deployed`;
  const wrangler = (args: string) => `npx wrangler ${args}${t.flag ? ` ${t.flag}` : ''}`;
  const deploy = `npm run build:web && ${wrangler('deploy')}`;
  const secretFix = (s: string) =>
    `${wrangler(`secret put ${s}`)}  # ${
      s === 'GITHUB_TOKEN'
        ? `a fine-grained token with Actions: Read and write on ${t.repository}`
        : 'what callers of POST /v1/retrain present'
    }`;
  const secretItems = (needs: string) =>
    WORKER_SECRETS.map((s) => unchecked(`worker secret ${s}`, needs, secretFix(s)));
  if (!t.credentials) {
    const needs = 'CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID';
    return { items: [unchecked(deployed, needs, deploy), ...secretItems(needs)] };
  }
  if (!t.worker)
    return {
      items: [unchecked(deployed, "wrangler.toml's name", deploy), ...secretItems("wrangler.toml's name")],
    };

  const { token, account, api } = t.credentials;
  const headers = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  const url = `${api}/accounts/${encodeURIComponent(account)}/workers/scripts/${encodeURIComponent(t.worker)}/secrets`;
  let reply: Awaited<ReturnType<typeof getJson>>;
  try {
    reply = await getJson(url, headers, t.timeoutMs);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      items: [
        fail(`Cloudflare's API unreachable (${why})`, 'check the network, or unset CLOUDFLARE_API_BASE_URL'),
        ...secretItems("Cloudflare's API"),
      ],
    };
  }
  const parsed = envelope.safeParse(reply.body);
  const errors = parsed.success ? parsed.data.errors.map((e) => `${e.code} ${e.message}`).join('; ') : '';
  const answer = `HTTP ${reply.status}${errors ? `: ${errors}` : ''}`;
  if (reply.status === 404) {
    return {
      items: [
        fail(`worker ${t.worker} is not deployed (${answer})`, deploy),
        ...secretItems('the worker deployed'),
      ],
    };
  }
  if (reply.status === 401 || reply.status === 403) {
    return {
      items: [
        fail(
          `Cloudflare refused CLOUDFLARE_API_TOKEN for account CLOUDFLARE_ACCOUNT_ID (${answer})`,
          'export CLOUDFLARE_API_TOKEN=<token>  # from the "Edit Cloudflare Workers" template, for this account',
        ),
        ...secretItems('a token Cloudflare accepts'),
      ],
    };
  }
  const names = parsed.success && parsed.data.success ? secretList.safeParse(parsed.data.result) : undefined;
  if (!names?.success) {
    return {
      items: [
        fail(
          `Cloudflare's API answered the secrets list with ${answer}`,
          'run again; if it persists: npx wrangler secret list',
        ),
        ...secretItems('a secrets list'),
      ],
    };
  }
  const have = new Set(names.data.map((s) => s.name));
  const items = [
    ok(deployed),
    ...WORKER_SECRETS.map((s) =>
      have.has(s) ? ok(`worker secret ${s} is set`) : fail(`worker secret ${s} is not set`, secretFix(s)),
    ),
  ];
  return { items, workerUrl: await workersDev(api, account, t.worker, headers, t.timeoutMs) };
}

/** https://<worker>.<subdomain>.workers.dev, or undefined when the account has no subdomain or the API will not say. */
async function workersDev(
  api: string,
  account: string,
  worker: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const reply = await getJson(
      `${api}/accounts/${encodeURIComponent(account)}/workers/subdomain`,
      headers,
      timeoutMs,
    );
    const body = envelope.safeParse(reply.body);
    const result = body.success && body.data.success ? subdomain.safeParse(body.data.result) : undefined;
    return result?.success ? `https://${worker}.${result.data.subdomain}.workers.dev` : undefined;
  } catch {
    return undefined;
  }
}
