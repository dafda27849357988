// wrangler.toml as the deployed worker will read it: its name (the script whose secrets are
// checked), the R2 bucket behind the MODELS binding, and the [vars] that POST /v1/retrain
// dispatches with. Read with a TOML parser, not wrangler (whose reader is not importable here).
import { parse, TomlError } from 'smol-toml';
import { fail, type Item, ok } from './item.ts';

/** The owner that wrangler.toml ships with, to be replaced by the maintainer's. */
export const PLACEHOLDER_OWNER = 'your-github-user';
export const WORKFLOW = 'train.yml';

/** What the other checks need from wrangler.toml; a field is absent when it is missing or wrong. */
export interface Wrangler {
  /** The path as given, for the fixes that name the file. */
  path: string;
  /** `--config PATH` for wrangler commands when the file is not ./wrangler.toml, else ''. */
  flag: string;
  name?: string;
  bucket?: string;
  owner?: string;
  repo?: string;
  api?: string;
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export interface ConfigOptions {
  /** owner/name from GITHUB_REPOSITORY, to suggest in the fixes. */
  suggested?: { owner: string; name: string };
}

export function checkConfig(
  path: string,
  source: string,
  o: ConfigOptions = {},
): { items: Item[]; wrangler: Wrangler } {
  const flag = path === 'wrangler.toml' || path === './wrangler.toml' ? '' : `--config ${path}`;
  const wrangler: Wrangler = { path, flag };
  const edit = (what: string) => `edit ${path}: ${what}`;
  let doc: Table;
  try {
    doc = parse(source);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const why = `${e.message.split('\n')[0]}, line ${e.line}`;
    return { items: [fail(`${path} is not valid TOML (${why})`, edit(`correct line ${e.line}`))], wrangler };
  }
  const items: Item[] = [];

  wrangler.name = text(doc.name);
  items.push(
    wrangler.name
      ? ok(`worker name: ${wrangler.name}`)
      : fail(`${path} has no worker name`, edit('name = "mnist-gan"')),
  );

  const buckets = Array.isArray(doc.r2_buckets) ? doc.r2_buckets.filter(isTable) : [];
  const models = buckets.find((b) => b.binding === 'MODELS');
  wrangler.bucket = text(models?.bucket_name);
  items.push(
    wrangler.bucket
      ? ok(`R2 binding MODELS: bucket ${wrangler.bucket}`)
      : fail(
          models ? `${path}'s MODELS binding names no bucket_name` : `${path} has no R2 binding MODELS`,
          edit('[[r2_buckets]] binding = "MODELS", bucket_name = "mnist-gan-models"'),
        ),
  );

  const vars = isTable(doc.vars) ? doc.vars : {};
  const varItem = (
    key: string,
    good: (v: string) => string | undefined,
    suggestion: string,
  ): string | undefined => {
    const v = text(vars[key]);
    const wrong = v === undefined ? 'is not set' : good(v);
    items.push(
      wrong
        ? fail(`${path} [vars] ${key} ${wrong}`, edit(`[vars] ${key} = "${suggestion}"`))
        : ok(`[vars] ${key} = "${v}"`),
    );
    return wrong ? undefined : v;
  };
  wrangler.owner = varItem(
    'GITHUB_OWNER',
    (v) => (v === PLACEHOLDER_OWNER ? `is still the placeholder "${PLACEHOLDER_OWNER}"` : undefined),
    o.suggested?.owner ?? '<the GitHub user or organisation that owns this repository>',
  );
  wrangler.repo = varItem('GITHUB_REPO', () => undefined, o.suggested?.name ?? 'mnist-on-device-gan');
  wrangler.api = varItem(
    'GITHUB_API',
    (v) => (/^https?:\/\/[^/\s]+/.test(v) ? undefined : `is not an http(s) URL ("${v}")`),
    'https://api.github.com',
  );
  varItem('GITHUB_WORKFLOW', (v) => (v === WORKFLOW ? undefined : `is "${v}", not ${WORKFLOW}`), WORKFLOW);
  varItem('GITHUB_REF', () => undefined, 'main');
  return { items, wrangler };
}
