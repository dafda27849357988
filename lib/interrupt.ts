// Ctrl-C for long work: the first one asks the work to stop at a safe point (the signal aborts);
// another one a while later leaves at once (the work's writes are atomic). One key press can arrive
// twice at once (the terminal signals the whole process group and npm forwards it too), so a repeat
// within two seconds counts as the same one.
export const INTERRUPTED_EXIT = 130;

export function interruptSignal(message: string): AbortSignal {
  const abort = new AbortController();
  let first = 0;
  process.on('SIGINT', () => {
    if (!abort.signal.aborted) {
      first = Date.now();
      console.error(`\ninterrupt: ${message} (Ctrl-C again to quit now)`);
      abort.abort();
    } else if (Date.now() - first > 2000) {
      process.exit(INTERRUPTED_EXIT);
    }
  });
  return abort.signal;
}

/** `… | head` closes stdout early: keep working rather than die on EPIPE. */
export function ignoreClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
