// What a smoke check is, and the runner that gives each one its time and turns it into one line.
import { errorMessage } from '../../lib/errors.ts';

/** What a check found: passed or not, and in a few words what it saw. */
export interface Outcome {
  ok: boolean;
  detail: string;
}

/** One thing a user of the deployment relies on. `run` may also throw: that is a failure too. */
export interface Check {
  name: string;
  run(): Promise<Outcome>;
}

/** Thrown by a check that cannot run (it needs what an earlier check failed to get, or was told not to). */
export class Skip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'Skip';
  }
}

export interface Result {
  name: string;
  status: 'ok' | 'FAIL' | 'skip';
  detail: string;
}

/** `ok   name: detail`, on one line whatever the detail held. */
export const formatResult = (r: Result): string =>
  `${r.status.padEnd(4)} ${r.name}: ${r.detail.replace(/\s*\n\s*/g, ' ')}`;

async function runOne(check: Check, timeoutMs: number): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const { ok, detail } = await Promise.race([check.run(), timeout]);
    return { name: check.name, status: ok ? 'ok' : 'FAIL', detail };
  } catch (e) {
    return { name: check.name, status: e instanceof Skip ? 'skip' : 'FAIL', detail: errorMessage(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the checks in order (later ones use what earlier ones fetched), each within `timeoutMs`,
 * handing each result to `report` as it comes.
 */
export async function runChecks(
  checks: readonly Check[],
  timeoutMs: number,
  report: (r: Result) => void,
): Promise<Result[]> {
  const results: Result[] = [];
  for (const check of checks) {
    const r = await runOne(check, timeoutMs);
    report(r);
    results.push(r);
  }
  return results;
}
