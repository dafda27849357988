// npm run smoke -- URL: checks a deployment as its users would (the API, every file's hash, stock
// TF.js loading the model, the digits it draws, the headers, the page drawing in Chromium). One line
// per check; exit 1 when any fails, 2 when called wrongly.
import { existsSync } from 'node:fs';
import { command, parse, positive, run, UsageError } from '../lib/command.ts';
import { Deployment, deploymentUrl, formatResult, runChecks, smokeChecks } from '../release/smoke/index.ts';

const program = command(
  'npm run smoke --',
  'Check a deployment (the worker, its model and its page) as its users would.',
)
  .argument('<url>', "the deployment's base URL, e.g. https://mnist-gan.example.workers.dev")
  .option('--timeout <seconds>', 'the time each check may take', positive('--timeout'), 120)
  .option('--skip-browser', 'do not open the page in Chromium (a machine without a browser)', false)
  .option('--chromium <path>', "Chromium's executable (default: $CHROMIUM_PATH, /usr/bin/chromium, …)");

run(async () => {
  const o = parse<{ timeout: number; skipBrowser: boolean; chromium?: string }>(program);
  const base = deploymentUrl(program.args[0]);
  if (o.chromium !== undefined && !existsSync(o.chromium))
    throw new UsageError(`--chromium: no file ${o.chromium}`);
  const timeoutMs = o.timeout * 1000;
  const deployment = new Deployment(base, timeoutMs);
  console.log(`smoke test of ${base}`);
  const results = await runChecks(
    smokeChecks(deployment, { skipBrowser: o.skipBrowser, chromium: o.chromium, timeoutMs }),
    timeoutMs,
    (r) => console.log(formatResult(r)),
  );
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('FAIL');
  console.log(
    `${failed ? 'FAILED' : 'passed'}: ${count('ok')} ok, ${failed} failed, ${count('skip')} skipped (${base})`,
  );
  return failed ? 1 : 0;
});
