// The command kit's parsers and error lines, in process (the programs themselves are run as users
// run them in their own tests, through cli-usage.ts).
import { CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  command,
  integer,
  listOf,
  nonNegative,
  parse,
  positive,
  probability,
  report,
  UsageError,
} from '../../lib/command.ts';
import { errorMessage } from '../../lib/errors.ts';

const refused = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return errorMessage(e);
  }
  throw new Error('accepted');
};

describe('option parsers', () => {
  it('integers: digits only, within the range; the message names the flag and the value', () => {
    expect(integer('--n')('0')).toBe(0);
    expect(integer('--n', 1)('42')).toBe(42);
    for (const bad of ['', ' 5', '5 ', '-1', '1.5', '1e3', '0x10', '9007199254740993', 'five']) {
      expect(refused(() => integer('--n')(bad))).toBe(`--n must be a non-negative integer, got '${bad}'`);
    }
    expect(refused(() => integer('--n', 1)('0'))).toBe("--n must be a positive integer, got '0'");
    expect(refused(() => integer('--n', 100)('99'))).toBe("--n must be an integer ≥ 100, got '99'");
    expect(refused(() => integer('--port', 1, 65535)('65536'))).toBe(
      "--port must be an integer from 1 to 65535, got '65536'",
    );
  });

  it('numbers: finite, within their range', () => {
    expect(positive('--lr')('2e-4')).toBe(2e-4);
    expect(nonNegative('--x')('0')).toBe(0);
    expect(probability('--p')('1')).toBe(1);
    expect(refused(() => positive('--lr')('0'))).toBe("--lr must be a positive number, got '0'");
    for (const bad of ['', ' ', 'NaN', 'Infinity', '-0.5', 'x'])
      expect(refused(() => nonNegative('--x')(bad))).toContain('--x must be a non-negative number');
    expect(refused(() => probability('--p')('1.01'))).toBe("--p must be a number from 0 to 1, got '1.01'");
  });

  it('lists and choices are checked by commander, named in one line', () => {
    const program = () =>
      command('prog', 'test')
        .addOption(listOf('--presets <list>', 'presets', ['fast', 'fast-cond']))
        .option('--n <n>', 'a count', integer('--n', 1), 3);
    expect(parse(program(), ['node', 'prog'])).toEqual({ presets: ['fast', 'fast-cond'], n: 3 });
    expect(parse(program(), ['node', 'prog', '--presets', 'fast-cond', '--n', '7'])).toEqual({
      presets: ['fast-cond'],
      n: 7,
    });
    expect(() => parse(program(), ['node', 'prog', '--presets', 'fast,huge'])).toThrow(CommanderError);
  });
});

describe('report: one line and the exit code', () => {
  const lines: string[] = [];
  const spy = () => vi.spyOn(console, 'error').mockImplementation((l: string) => void lines.push(l));
  afterEach(() => {
    vi.restoreAllMocks();
    lines.length = 0;
  });

  it('usage errors exit 2, failures the program’s code; more lines only with DEBUG', () => {
    spy();
    expect(report(new UsageError('--resume needs --out <dir>'))).toBe(2);
    expect(report(new Error('wrangler exited\nits log\nmore'), 1)).toBe(1);
    expect(report(new Error('diverged'), () => 3)).toBe(3);
    expect(lines).toEqual([
      'error: --resume needs --out <dir>',
      'error: wrangler exited (DEBUG=1 shows more)',
      'error: diverged',
    ]);
  });

  it("commander's errors: one line, exit 2; --help exits 0", () => {
    spy();
    const program = command('prog', 'test').option('--count <n>', 'a count', integer('--count', 1));
    const thrown = (argv: string[]) => {
      try {
        parse(program, ['node', 'prog', ...argv]);
      } catch (e) {
        return e;
      }
    };
    expect(report(thrown(['--cont', '1']))).toBe(2);
    expect(report(thrown(['--count', 'x']))).toBe(2);
    expect(lines).toEqual([
      "error: unknown option '--cont' (Did you mean --count?)",
      "error: option '--count <n>' argument 'x' is invalid. --count must be a positive integer, got 'x'",
    ]);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(report(thrown(['--help']))).toBe(0);
    expect(String(write.mock.calls[0][0])).toContain('Usage: prog [options]');
  });

  it('a schema failure is its issues on one line', () => {
    const r = z.object({ fid: z.number(), files: z.array(z.string()) }).safeParse({ fid: 'x', files: [1] });
    expect(errorMessage(r.error)).toMatch(/^fid: .+; files\.0: .+$/);
  });
});
