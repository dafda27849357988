// The kit every command-line program here is built on: a commander program that throws instead of
// exiting, the option parsers, and a runner that turns any error into one line on stderr and the
// program's exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from './errors.ts';

/** Exit code of a program called wrongly (commander's own default would be 1, as for a failure). */
export const USAGE_EXIT = 2;

/** The program was called wrongly in a way commander cannot see (a combination of options). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A program named as its user types it (e.g. `npm run gate --`). Its errors are thrown, not
 * printed, so `run` alone decides what is printed and with which exit code.
 */
export function command(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

/** Parses argv into the program's options, typed as the caller declares them. */
export function parse<T extends object>(program: Command, argv: readonly string[] = process.argv): T {
  program.parse(argv);
  return program.opts<T>();
}

const invalid = (flag: string, what: string, v: string) =>
  new InvalidArgumentError(`${flag} must be ${what}, got '${v}'`);

/** A whole number in [min, max]; digits only (no sign, exponent or blanks). */
export function integer(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  const what =
    max < Number.MAX_SAFE_INTEGER
      ? `an integer from ${min} to ${max}`
      : min === 0
        ? 'a non-negative integer'
        : min === 1
          ? 'a positive integer'
          : `an integer ≥ ${min}`;
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw invalid(flag, what, v);
    return n;
  };
}

const real =
  (what: string, ok: (n: number) => boolean) =>
  (flag: string) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw invalid(flag, what, v);
    return n;
  };
export const positive = real('a positive number', (n) => n > 0);
export const nonNegative = real('a non-negative number', (n) => n >= 0);
export const probability = real('a number from 0 to 1', (n) => n >= 0 && n <= 1);

/** `--flag <value>` restricted to `values`; commander's error lists them. */
export const choice = (flags: string, description: string, values: readonly string[]): Option =>
  new Option(flags, description).choices(values);

/** `--flag <list>`: comma-separated items, each one of `values`; all of them by default. */
export function listOf(flags: string, description: string, values: readonly string[]): Option {
  const flag = flags.split(' ')[0];
  const parseList = (v: string): string[] =>
    v.split(',').map((item) => {
      const found = values.find((c) => c === item.trim());
      if (found === undefined) throw invalid(flag, `a comma-separated list of ${values.join(', ')}`, v);
      return found;
    });
  return new Option(flags, description).argParser(parseList).default([...values], values.join(','));
}

/** Exit code for a failure that is not a usage error: a number, or chosen from the error. */
export type FailureCode = number | ((e: unknown) => number);

/** Prints `e` as one line (the rest with DEBUG set) and returns the exit code it calls for. */
export function report(e: unknown, failure: FailureCode = 1): number {
  if (e instanceof CommanderError) {
    // --help has been printed (exit 0), or help instead of a missing subcommand (to stderr).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    if (e.code === 'commander.help') return USAGE_EXIT;
    // Commander's own text: "error: …", sometimes with "(Did you mean …?)" on a second line.
    console.error(`error: ${e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')}`);
    return USAGE_EXIT;
  }
  const [first, ...rest] = errorMessage(e).split('\n');
  const more = rest.some((l) => l.trim()) && !process.env.DEBUG ? ' (DEBUG=1 shows more)' : '';
  console.error(`error: ${first}${more}`);
  // The stack holds the whole message too.
  if (process.env.DEBUG && e instanceof Error) console.error(e.stack);
  if (e instanceof UsageError) return USAGE_EXIT;
  return typeof failure === 'number' ? failure : failure(e);
}

/** Parses argv, printing a usage error as one line and exiting 2 (for scripts with no runner). */
export function parseOrExit<T extends object>(program: Command, argv?: readonly string[]): T {
  try {
    return parse<T>(program, argv);
  } catch (e) {
    process.exit(report(e));
  }
}

/** A program's body: returns its exit code, or nothing to let Node end by itself. */
export type Main = (() => Promise<number | undefined>) | (() => Promise<void>);

/**
 * Runs a program's main. A number it returns is the exit code (exiting at once: worker threads or
 * the WASM runtime may otherwise keep the process alive); nothing returned lets Node end by itself.
 * Any error, usage errors included, becomes one line on stderr and its exit code; never a stack,
 * which the WASM runtime's own handler would print with its whole source.
 */
export function run(main: Main, failure?: FailureCode): void {
  (async () => {
    const code: unknown = await main();
    if (typeof code === 'number') process.exit(code);
  })().catch((e: unknown) => process.exit(report(e, failure)));
}
