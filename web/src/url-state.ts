// The page's state lives in its URL, so a link reproduces what is on screen: the view (a grid of
// digits or the style grid), how many, which digit, the seed and the model version; ?backend=
// overrides the runtime choice. The same link draws the same pixels on another machine with the
// same backend (the latents come from the seed, contract/latent.ts). ?threads= sets the WASM
// backend's thread count (for comparing; the engine chooses by itself otherwise).
import { isVersion } from '../../contract/version.ts';

export const BACKENDS = ['webgpu', 'wasm', 'wasm-simd', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export const COUNTS = [1, 16, 36, 64] as const;
export const STYLE_ROWS = [1, 3, 6, 10] as const;
export const MAX_SEED = 0xffffffff;
/** The WASM thread counts a URL may ask for. */
export const THREADS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

export interface PageState {
  view: 'grid' | 'styles';
  /** Digits in the grid view. */
  n: number;
  /** Rows (styles) in the style grid. */
  rows: number;
  digit: number | 'any';
  seed: number;
  /** A published version to run instead of the promoted one. */
  version: string | null;
  backend: BackendChoice | null;
  /** WASM threads, instead of the engine's own choice. */
  threads: number | null;
}

export const DEFAULT_STATE: PageState = {
  view: 'grid',
  n: 64,
  rows: 6,
  digit: 'any',
  seed: 1,
  version: null,
  backend: null,
  threads: null,
};

const isSeed = (s: number) => Number.isInteger(s) && s >= 0 && s <= MAX_SEED;

/** The state a URL asks for, and a plain sentence for each parameter it had to ignore. */
export function readState(search: string): { state: PageState; problems: string[] } {
  const q = new URLSearchParams(search);
  const state = { ...DEFAULT_STATE };
  const problems: string[] = [];
  const take = <T>(name: string, parse: (v: string) => T | undefined, expected: string): T | undefined => {
    const raw = q.get(name);
    if (raw === null) return undefined;
    const v = parse(raw);
    if (v === undefined) problems.push(`Ignored ?${name}=${raw}: ${expected}.`);
    return v;
  };
  const oneOf =
    <T extends string | number>(list: readonly T[]) =>
    (v: string) =>
      list.find((x) => String(x) === v);
  state.view = take('view', oneOf(['grid', 'styles'] as const), 'use grid or styles') ?? state.view;
  state.n = take('n', oneOf(COUNTS), `use one of ${COUNTS.join(', ')}`) ?? state.n;
  state.rows = take('rows', oneOf(STYLE_ROWS), `use one of ${STYLE_ROWS.join(', ')}`) ?? state.rows;
  state.digit =
    take<number | 'any'>(
      'digit',
      (v) => (v === 'any' ? 'any' : oneOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])(v)),
      'use any or 0–9',
    ) ?? state.digit;
  state.seed =
    take(
      'seed',
      (v) => (/^\d+$/.test(v) && isSeed(Number(v)) ? Number(v) : undefined),
      `a whole number from 0 to ${MAX_SEED}`,
    ) ?? state.seed;
  state.version = take('version', (v) => (isVersion(v) ? v : undefined), 'not a version name') ?? null;
  state.backend = take('backend', oneOf(BACKENDS), `use one of ${BACKENDS.join(', ')}`) ?? null;
  state.threads = take('threads', oneOf(THREADS), `use 1 to ${THREADS.length}`) ?? null;
  return { state, problems };
}

/** The query string for a state: what is on screen, in a fixed order. */
export function writeState(s: PageState): string {
  const q = new URLSearchParams({ view: s.view });
  if (s.view === 'grid') q.set('n', String(s.n));
  else q.set('rows', String(s.rows));
  if (s.view === 'grid') q.set('digit', String(s.digit));
  q.set('seed', String(s.seed));
  if (s.version) q.set('version', s.version);
  if (s.backend) q.set('backend', s.backend);
  if (s.threads) q.set('threads', String(s.threads));
  return `?${q}`;
}

export function parseSeed(v: string): number {
  const s = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !isSeed(s))
    throw new Error(`The seed must be a whole number from 0 to ${MAX_SEED}.`);
  return s;
}
