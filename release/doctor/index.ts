// npm run doctor: a real configuration checked before the first run, in the order a maintainer
// sets it up: wrangler.toml, the local environment, R2, the worker on Cloudflare, then GitHub.
import { checkCloudflare } from './cloudflare.ts';
import { checkConfig } from './config.ts';
import { checkEnvironment, repositoryFromEnv } from './env.ts';
import { checkGitHub } from './github.ts';
import type { Item } from './item.ts';
import { checkR2 } from './r2.ts';

export { exitCode, formatItem, type Item, summarize } from './item.ts';

export interface DoctorOptions {
  /** wrangler.toml's path as the user gave it, and its text. */
  configPath: string;
  configText: string;
  env: NodeJS.ProcessEnv;
  /** Each remote request's limit. */
  timeoutMs: number;
}

export interface Section {
  title: string;
  items: Item[];
}

/** Runs every check, handing each section to `report` as it is done; returns all the items. */
export async function doctor(o: DoctorOptions, report: (s: Section) => void): Promise<Item[]> {
  const all: Item[] = [];
  const section = (title: string, items: Item[]) => {
    all.push(...items);
    report({ title, items });
  };
  const config = checkConfig(o.configPath, o.configText, { suggested: repositoryFromEnv(o.env) });
  section(o.configPath, config.items);
  const w = config.wrangler;
  const local = checkEnvironment(o.env, w);
  section('local environment', local.items);
  const c = local.credentials;
  const bucket = w.bucket ?? 'mnist-gan-models';
  section(
    'R2',
    await checkR2(o.env, {
      credentials: c.r2,
      bucket: o.env.R2_BUCKET?.trim() || bucket,
      wranglerBucket: w.bucket,
      timeoutMs: o.timeoutMs,
    }),
  );
  const slug = c.repository ? `${c.repository.owner}/${c.repository.name}` : '<owner>/<name>';
  const cloudflare = await checkCloudflare({
    credentials: c.cloudflare,
    worker: w.name,
    flag: w.flag,
    repository: slug,
    timeoutMs: o.timeoutMs,
  });
  section('Cloudflare worker', cloudflare.items);
  section(
    'GitHub',
    await checkGitHub({
      credentials: c.github,
      repository: c.repository,
      bucket,
      workerUrl: cloudflare.workerUrl,
      worker: w.name ?? 'mnist-gan',
      timeoutMs: o.timeoutMs,
    }),
  );
  return all;
}
