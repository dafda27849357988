// R2 reached with the publishing credentials, through the same S3 client the publisher uses: a
// listing of latest.json proves the bucket exists and the token may read it, and says whether a
// model is promoted yet.
import { r2Keys } from '../../contract/index.ts';
import { openR2Store, R2_ENV } from '../r2-store.ts';
import { networkError, within } from './http.ts';
import { fail, type Item, ok, unchecked, warn } from './item.ts';

export interface R2Target {
  /** All of R2_ENV are set. */
  credentials: boolean;
  /** R2_BUCKET, else wrangler.toml's bucket_name (for the fixes). */
  bucket: string;
  /** wrangler.toml's bucket_name: the one to create when R2_BUCKET names another. */
  wranglerBucket?: string;
  timeoutMs: number;
}

const TOKEN_FIX =
  'export R2_ACCESS_KEY_ID=<id> R2_SECRET_ACCESS_KEY=<secret>  # an R2 API token with Object Read & Write on the bucket (dashboard: R2, Manage API tokens)';

export async function checkR2(env: NodeJS.ProcessEnv, t: R2Target): Promise<Item[]> {
  const reachable = `R2 bucket ${t.bucket} reachable with the R2 API token`;
  const promoted = `a model promoted in R2 (${r2Keys.latest})`;
  const create =
    t.wranglerBucket && t.wranglerBucket !== t.bucket
      ? `export R2_BUCKET=${t.wranglerBucket}  # the worker reads ${t.wranglerBucket}`
      : `npx wrangler r2 bucket create ${t.bucket}`;
  const publish = 'npm run publish -- --model model/shipped --target r2 --promote  # or a first training run';
  if (!t.credentials) {
    const needs = R2_ENV.filter((k) => !env[k]?.trim()).join(', ');
    return [unchecked(reachable, needs, create), unchecked(promoted, needs, publish)];
  }
  const store = openR2Store(env);
  let keys: string[];
  try {
    keys = await within(store.list(r2Keys.latest), t.timeoutMs, `R2 bucket ${t.bucket}`);
  } catch (e) {
    return [whyUnreachable(e, t.bucket, create), unchecked(promoted, 'the bucket reachable', publish)];
  }
  return [
    ok(reachable),
    keys.includes(r2Keys.latest)
      ? ok(promoted)
      : warn(`no model promoted in R2 yet: the worker answers no_model until one is`, publish),
  ];
}

/** What R2's answer (as the store words it: `R2 LIST key: HTTP 403 <Error><Code>…`) means to fix. */
function whyUnreachable(e: unknown, bucket: string, create: string): Item {
  const message = e instanceof Error ? e.message : String(e);
  const http = /HTTP (\d{3})/.exec(message);
  const code = /<Code>([^<]+)<\/Code>/.exec(message)?.[1];
  if (!http) {
    return fail(
      `R2 unreachable: ${networkError(e)}`,
      'check R2_ACCOUNT_ID  # the endpoint is https://<R2_ACCOUNT_ID>.r2.cloudflarestorage.com',
    );
  }
  const answer = `HTTP ${http[1]}${code ? ` ${code}` : ''}`;
  if (code === 'NoSuchBucket') return fail(`R2 bucket ${bucket} does not exist (${answer})`, create);
  if (http[1] === '401' || http[1] === '403')
    return fail(`R2 refused the R2 API token (${answer})`, TOKEN_FIX);
  return fail(`R2 bucket ${bucket} answered ${answer}`, 'check R2_ACCOUNT_ID and the R2 API token');
}
