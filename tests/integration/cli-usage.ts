// What every command-line program promises its user (lib/command.ts): `--help` with its usage
// and options, and a wrong call answered by one line on stderr and exit 2, never a stack.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { USAGE_EXIT } from '../../lib/command.ts';

export const runCli = (script: string, args: readonly string[], timeout = 120_000) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout });

export interface UsageSpec {
  /** The usage line's start, e.g. `npm run gate --`. */
  usage: string;
  /** Text the help must show: the options, their defaults. */
  help: string[];
  /** The arguments that print the help (default `--help`). */
  helpArgs?: string[];
  /** Wrong calls and a part of the one line each must print. */
  errors: [args: string[], message: string][];
}

export function usageTests(script: string, spec: UsageSpec): void {
  describe(`${spec.usage} usage`, () => {
    it('--help shows the usage, a description and every option', () => {
      const r = runCli(script, spec.helpArgs ?? ['--help']);
      expect(r.status).toBe(0);
      expect(r.stdout.startsWith(`Usage: ${spec.usage}`)).toBe(true);
      // Commander wraps long lines at 80 columns.
      const help = r.stdout.replace(/\s+/g, ' ');
      for (const text of spec.help) expect(help).toContain(text);
    });

    it.each(spec.errors)('%j: one line, exit 2', (args, message) => {
      const r = runCli(script, args);
      expect(r.status).toBe(USAGE_EXIT);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^error: /)]);
      expect(r.stderr).toContain(message);
    });
  });
}
