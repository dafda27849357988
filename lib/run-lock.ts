import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { no, ok, type Result } from './result.ts';

/** True when a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One training process per run folder: two would delete each other's temporary checkpoints and
 * interleave their metrics. A lock left by a killed process (its pid is gone) is taken over.
 * Returns the release function, or why not (naming the holder).
 */
export function lockRun(out: string): Result<() => void> {
  const file = join(out, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return ok(() => rmSync(file, { force: true }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        return no(`${out} is in use by another training process (pid ${holder})`);
      }
      rmSync(file, { force: true });
    }
  }
  return no(`${out}: could not take the run lock ${file}`);
}
