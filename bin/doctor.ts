// npm run doctor: checks a real configuration before the first run (wrangler.toml, the local
// environment, R2, the worker's secrets, GitHub's secrets, variables, runner and workflow). One line
// per item, each that is not ok with the command that fixes it; exit 0 when all are ok (warnings
// allowed), 1 when any is to fix or could not be checked, 2 when called wrongly.
import { existsSync, readFileSync } from 'node:fs';
import { command, parse, positive, run, UsageError } from '../lib/command.ts';
import { doctor, exitCode, formatItem, summarize } from '../release/doctor/index.ts';

const program = command(
  'npm run doctor --',
  'Check the configuration a live deployment needs, naming the command that fixes each missing item.',
)
  .option('--config <path>', "the worker's wrangler.toml", 'wrangler.toml')
  .option('--timeout <seconds>', 'the time each remote request may take', positive('--timeout'), 30)
  .addHelpText(
    'after',
    `
Reads the environment: R2_ACCOUNT_ID, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY, R2_BUCKET (R2);
CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID (the worker); GITHUB_TOKEN or GH_TOKEN, and
GITHUB_REPOSITORY (owner/name, default wrangler.toml's) for GitHub. What lacks its credentials is
listed as not checked. R2_ENDPOINT, CLOUDFLARE_API_BASE_URL and GITHUB_API_URL point elsewhere.`,
  );

run(async () => {
  const o = parse<{ config: string; timeout: number }>(program);
  if (!existsSync(o.config)) throw new UsageError(`--config: no file ${o.config}`);
  console.log(`npm run doctor: ${o.config} and the environment`);
  const items = await doctor(
    {
      configPath: o.config,
      configText: readFileSync(o.config, 'utf8'),
      env: process.env,
      timeoutMs: o.timeout * 1000,
    },
    (s) => {
      console.log(`\n${s.title}`);
      for (const item of s.items) console.log(`  ${formatItem(item)}`);
    },
  );
  const code = exitCode(items);
  console.log(`\n${code ? 'NOT READY' : 'ready'}: ${summarize(items)}`);
  return code;
});
