// The smoke test of a deployment: every check in the order a user meets what it checks, the later
// ones using what the earlier ones fetched (the manifest, the loaded model).
import { files, healthz, manifest, openapi } from './api.ts';
import type { Check } from './check.ts';
import type { Deployment } from './deployment.ts';
import { apiHeaders, pageHeaders } from './headers.ts';
import { digits, tfjsLoad } from './model.ts';
import { pageDraws } from './page.ts';

export interface SmokeOptions {
  /** Do not open the page in a browser (a machine without one). */
  skipBrowser: boolean;
  /** Chromium's executable; found in the usual places otherwise. */
  chromium?: string;
  /** Each check's limit. */
  timeoutMs: number;
}

export const smokeChecks = (d: Deployment, o: SmokeOptions): Check[] => [
  healthz(d),
  manifest(d),
  files(d),
  tfjsLoad(d),
  digits(d),
  openapi(d),
  pageHeaders(d),
  apiHeaders(d),
  pageDraws(d, { skip: o.skipBrowser, chromium: o.chromium, timeoutMs: o.timeoutMs }),
];

export { formatResult, type Result, runChecks } from './check.ts';
export { Deployment, deploymentUrl } from './deployment.ts';
