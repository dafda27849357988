// The command that continues a pipeline run that stopped: this invocation's own flags (the target,
// the quantization, the gate's thresholds, the training flags…), with where to start replaced. A
// hint that dropped them would, after an R2 upload failed, publish the same version locally.

/** The flags that say which stages run and where, replaced in the command that continues. */
const WHERE = new Set(['--out', '--from', '--stages']);

/** An argument as a POSIX shell reads it back. */
const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

/**
 * `npm run pipeline -- <args without --out/--from/--stages> --out DIR <start>`, where `start` is
 * `--from STAGE` or `--stages a,b`. `args` are the invocation's arguments (process.argv after the script).
 */
export function continueCommand(args: readonly string[], runDir: string, start: string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name] = args[i].split('=', 1);
    if (!WHERE.has(name)) kept.push(args[i]);
    else if (!args[i].includes('=')) i++; // its value is the next argument
  }
  return ['npm run pipeline --', ...[...kept, '--out', runDir, ...start].map(shellQuote)].join(' ');
}
