// What the doctor reports: one item per thing a live deployment needs, each passed, to fix (with the
// command that fixes it), a warning, or not checked (and what checking it needs).

export type Status = 'ok' | 'fail' | 'warn' | 'unchecked';

export interface Item {
  status: Status;
  /** What was checked and what was found, on one line. */
  what: string;
  /** The command (or edit) that fixes it: given for every item that is not ok. */
  fix?: string;
}

export const ok = (what: string): Item => ({ status: 'ok', what });
export const fail = (what: string, fix: string): Item => ({ status: 'fail', what, fix });
export const warn = (what: string, fix: string): Item => ({ status: 'warn', what, fix });
/** An item that needs a credential to check; its fix is what sets the item up. */
export const unchecked = (what: string, needs: string, fix: string): Item => ({
  status: 'unchecked',
  what: `${what}: not checked, needs ${needs}`,
  fix,
});

const LABEL: Record<Status, string> = { ok: 'ok', fail: 'FAIL', warn: 'warn', unchecked: '----' };

/** `FAIL what — fix: command`, on one line whatever the parts held. */
export const formatItem = (i: Item): string =>
  `${LABEL[i.status].padEnd(4)} ${i.what}${i.fix ? ` — fix: ${i.fix}` : ''}`.replace(/\s*\n\s*/g, ' ');

/** `12 ok, 2 to fix, 1 warning, 9 not checked`. */
export function summarize(items: readonly Item[]): string {
  const n = (s: Status) => items.filter((i) => i.status === s).length;
  const plural = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return [
    `${n('ok')} ok`,
    `${n('fail')} to fix`,
    plural(n('warn'), 'warning', 'warnings'),
    `${n('unchecked')} not checked`,
  ].join(', ');
}

/** 0 when every item passed or only warns; 1 when any is to fix or could not be checked. */
export const exitCode = (items: readonly Item[]): number =>
  items.some((i) => i.status === 'fail' || i.status === 'unchecked') ? 1 : 0;
