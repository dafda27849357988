// The page's pure parts: its URL state (permalinks), what it is doing (its mode), the style grid's
// latents, the grid image.
import { describe, expect, it } from 'vitest';
import { latents, styleLatents } from '../../contract/index.ts';
import { formatCount, formatDay, formatTime } from '../../web/src/format.ts';
import { gray, gridImage, gridShape, SIZE } from '../../web/src/grid.ts';
import { type Mode, next, type PageEvent, showsLoading, walkGoesOn } from '../../web/src/page-mode.ts';
import { DEFAULT_STATE, parseSeed, readState, writeState } from '../../web/src/url-state.ts';

describe('the URL state', () => {
  it('reads what a link says and writes it back the same', () => {
    const { state, problems } = readState(
      '?view=grid&n=16&digit=7&seed=4242&version=20261127T160000Z-ab12cd34&backend=wasm',
    );
    expect(problems).toEqual([]);
    expect(state).toEqual({
      ...DEFAULT_STATE,
      view: 'grid',
      n: 16,
      digit: 7,
      seed: 4242,
      version: '20261127T160000Z-ab12cd34',
      backend: 'wasm',
    });
    expect(readState(writeState(state)).state).toEqual(state);
    const styles = { ...DEFAULT_STATE, view: 'styles' as const, rows: 3, seed: 9 };
    expect(writeState(styles)).toBe('?view=styles&rows=3&seed=9');
    expect(readState(writeState(styles)).state).toEqual(styles);
  });

  it('a bare URL is the default view', () => {
    expect(readState('')).toEqual({ state: DEFAULT_STATE, problems: [] });
    expect(writeState(DEFAULT_STATE)).toBe('?view=grid&n=64&digit=any&seed=1');
  });

  it('names each parameter it ignores and keeps the rest', () => {
    const { state, problems } = readState(
      '?view=mosaic&n=17&digit=10&seed=-1&rows=2&version=latest&backend=tpu',
    );
    expect(state).toEqual(DEFAULT_STATE);
    expect(problems).toEqual([
      'Ignored ?view=mosaic: use grid or styles.',
      'Ignored ?n=17: use one of 1, 16, 36, 64.',
      'Ignored ?rows=2: use one of 1, 3, 6, 10.',
      'Ignored ?digit=10: use any or 0–9.',
      'Ignored ?seed=-1: a whole number from 0 to 4294967295.',
      'Ignored ?version=latest: not a version name.',
      'Ignored ?backend=tpu: use one of webgpu, wasm, wasm-simd, cpu.',
    ]);
    expect(readState('?threads=9').problems).toEqual(['Ignored ?threads=9: use 1 to 8.']);
    expect(readState('?threads=0').state.threads).toBeNull();
    expect(readState('?seed=4294967296').problems).toHaveLength(1);
    expect(readState('?seed=4294967295').state.seed).toBe(4294967295);
  });

  it('the seed box accepts whole numbers in range only', () => {
    expect(parseSeed(' 12 ')).toBe(12);
    for (const bad of ['', '1.5', '-3', '1e3', 'abc', '4294967296'])
      expect(() => parseSeed(bad), bad).toThrow('The seed must be a whole number from 0 to 4294967295.');
  });
});

describe('the page mode', () => {
  /** The modes and effects a run of events goes through, from `from`. */
  const run = (from: Mode, events: PageEvent[]) => {
    let mode = from;
    return events.map((e) => {
      const step = next(mode, e);
      mode = step.mode;
      return { mode: step.mode, effect: step.effect };
    });
  };
  const draw = (push: boolean): PageEvent => ({ type: 'draw', push });
  const idle: Mode = { kind: 'idle' };

  it('starts by drawing the first grid without a new history entry, or stays without a model', () => {
    expect(next({ kind: 'starting' }, { type: 'started' })).toEqual({
      mode: { kind: 'drawing', again: false },
      effect: { do: 'draw', push: false },
    });
    const none = run({ kind: 'starting' }, [
      { type: 'unavailable' },
      draw(true),
      { type: 'walk' },
      { type: 'redraw' },
    ]);
    expect(none.map((s) => s.mode.kind)).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'unavailable',
    ]);
    expect(none.every((s) => s.effect === null)).toBe(true);
    // The controls are off while starting: nothing of the visitor's is drawn early.
    expect(next({ kind: 'starting' }, draw(true))).toEqual({ mode: { kind: 'starting' }, effect: null });
  });

  it("shows the engine's loading progress only while starting", () => {
    expect(showsLoading({ kind: 'starting' })).toBe(true);
    for (const kind of ['idle', 'unavailable'] as const) expect(showsLoading({ kind })).toBe(false);
    expect(showsLoading({ kind: 'drawing', again: false })).toBe(false);
  });

  it('a request while drawing is drawn once more afterwards, with the latest controls, however many came', () => {
    const steps = run(idle, [draw(true), draw(true), draw(true), { type: 'drawn' }, { type: 'drawn' }]);
    expect(steps.map((s) => s.mode)).toEqual([
      { kind: 'drawing', again: false },
      { kind: 'drawing', again: true },
      { kind: 'drawing', again: true },
      { kind: 'drawing', again: false },
      idle,
    ]);
    expect(steps.map((s) => s.effect)).toEqual([
      { do: 'draw', push: true },
      null,
      null,
      { do: 'draw', push: true },
      null,
    ]);
  });

  it('a walk runs until it ends or is stopped; a finished walk draws the next seed, a stopped one does not', () => {
    const finished = run(idle, [{ type: 'walk' }, draw(true), { type: 'walked', completed: true }]);
    expect(finished.map((s) => s.effect)).toEqual([{ do: 'walk' }, null, { do: 'draw', push: true }]);
    expect(walkGoesOn(finished[0].mode)).toBe(true);
    expect(walkGoesOn(finished[1].mode)).toBe(true); // a control changed meanwhile does not stop it
    const stopped = run(idle, [{ type: 'walk' }, { type: 'walk' }, { type: 'walked', completed: true }]);
    expect(walkGoesOn(stopped[1].mode)).toBe(false);
    expect(stopped[2]).toEqual({ mode: idle, effect: null });
    expect(run(idle, [{ type: 'walk' }, { type: 'walked', completed: false }])[1]).toEqual({
      mode: idle,
      effect: null,
    });
  });

  it('Back/Forward or a new runtime stops a walk and redraws; the grids they replace are ignored', () => {
    const steps = run(idle, [
      { type: 'walk' },
      { type: 'redraw' },
      { type: 'walked', completed: false },
      { type: 'drawn' },
    ]);
    expect(steps.map((s) => s.mode.kind)).toEqual(['walking', 'drawing', 'drawing', 'idle']);
    expect(walkGoesOn(steps[1].mode)).toBe(false);
    expect(steps[1].effect).toEqual({ do: 'draw', push: false });
    // A walk started while a grid was computed: that grid's end does not end the walk.
    const over = run(idle, [draw(true), { type: 'walk' }, { type: 'drawn' }]);
    expect(over.map((s) => s.mode.kind)).toEqual(['drawing', 'walking', 'walking']);
    expect(over[2].effect).toBeNull();
  });
});

describe('dates and counts as the page writes them', () => {
  it('in UTC, the month by name, counts with thousands separators', () => {
    expect(formatDay('2026-11-30T22:18:27Z')).toBe('30 Nov 2026');
    expect(formatTime('2026-11-30T22:18:27Z')).toBe('30 Nov 2026, 22:18 UTC');
    expect(formatTime('2026-01-02T03:04:05Z')).toBe('2 Jan 2026, 03:04 UTC');
    expect([0, 999, 1000, 4000, 30000, 1234567].map(formatCount)).toEqual([
      '0',
      '999',
      '1,000',
      '4,000',
      '30,000',
      '1,234,567',
    ]);
  });
});

describe('the style grid', () => {
  it('repeats each seeded noise vector across the classes, in class order', () => {
    const dim = 4;
    const s = styleLatents(5, 3, dim, 10);
    const rows = latents(5, 3, dim, 0, 'any').z;
    expect(s.z).toHaveLength(3 * 10 * dim);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 10; c++) {
        expect(s.labels?.[r * 10 + c]).toBe(c);
        expect(Array.from(s.z.subarray((r * 10 + c) * dim, (r * 10 + c + 1) * dim))).toEqual(
          Array.from(rows.subarray(r * dim, (r + 1) * dim)),
        );
      }
    }
    // Different rows are different styles.
    expect(Array.from(s.z.subarray(0, dim))).not.toEqual(Array.from(s.z.subarray(10 * dim, 11 * dim)));
  });

  it('refuses an unconditional model', () => {
    expect(() => styleLatents(1, 2, 4, 0)).toThrow('a style grid needs a conditional model');
  });
});

describe('the grid image', () => {
  it('places digit k at its row and column, ink dark on white, the rest of the last row blank', () => {
    const n = 5;
    const pixels = new Float32Array(n * SIZE * SIZE).fill(-1); // paper
    for (let k = 0; k < n; k++) pixels[k * SIZE * SIZE + k] = 1 - k * 0.25; // one ink pixel each, in row 0, column k
    const { rgba, width, height } = gridImage(pixels, n, 3);
    expect([width, height]).toEqual([3 * SIZE, 2 * SIZE]);
    for (let k = 0; k < n; k++) {
      const x = (k % 3) * SIZE + k;
      const y = Math.floor(k / 3) * SIZE;
      const o = (y * width + x) * 4;
      expect([rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3]]).toEqual([
        gray(1 - k * 0.25),
        gray(1 - k * 0.25),
        gray(1 - k * 0.25),
        255,
      ]);
    }
    expect(gray(1)).toBe(0);
    expect(gray(-1)).toBe(255);
    // The empty sixth cell is paper.
    const blank = ((SIZE + 3) * width + 2 * SIZE + 3) * 4;
    expect(rgba[blank]).toBe(255);
    expect(gridShape(64)).toEqual({ cols: 8, rows: 8 });
    expect(gridShape(60, 10)).toEqual({ cols: 10, rows: 6 });
  });
});

describe('the cold path split (bench:web)', () => {
  it('counts overlapping server waits once and only before the first grid', async () => {
    const { coldPath, unionMs } = await import('../bench/cold-path.ts');
    expect(
      unionMs([
        [0, 10],
        [5, 20],
        [30, 40],
        [41, 41],
      ]),
    ).toBe(30);
    const r = (url: string, start: number, firstByte: number) => ({
      url,
      start,
      firstByte,
      end: firstByte + 1,
      bytes: 100,
    });
    const split = coldPath(1000, 500, [
      r('http://x/', 1000, 1100),
      r('http://x/assets/index-abc.js', 1110, 1150),
      r('http://x/v1/model', 1120, 1200), // overlaps the script's wait
      r('http://x/late', 1600, 1700), // after the first grid (drawn at 1500)
    ]);
    expect(split).toEqual({ serverWaitMs: 190, pageMs: 310, firstScriptBytes: 100, requestsBefore: 3 });
  });

  it('the waterfall says what each step waited on: the need that was ready last', async () => {
    const { waterfall } = await import('../bench/cold-path.ts');
    const { STEP } = await import('../../web/src/engine/steps.ts');
    const t0 = 1_000;
    const mark = (name: string, start: number, end: number, thread: 'page' | 'engine' = 'engine') => ({
      name,
      start: t0 + start,
      end: t0 + end,
      thread,
    });
    const rows = waterfall({
      navigationStart: t0,
      requests: [
        {
          url: 'http://x/assets/worker-abc.js',
          start: t0 + 50,
          firstByte: t0 + 60,
          end: t0 + 70,
          bytes: 4000,
          thread: 'page',
        },
        {
          url: 'http://x/late.png',
          start: t0 + 900,
          firstByte: t0 + 910,
          end: t0 + 920,
          bytes: 1,
          thread: 'page',
        },
      ],
      marks: [
        mark(STEP.engineEvaluated, 80, 80),
        mark(STEP.tfjsCore, 80, 300),
        mark(STEP.runtimeStart, 350, 360),
        mark(STEP.files, 200, 420),
        mark(STEP.generator, 420, 440),
        mark(STEP.generate, 440, 500),
        mark(STEP.firstGrid, 505, 505, 'page'),
        mark("someone else's mark", 10, 20),
      ],
    });
    const by = (what: string) => rows.find((r) => r.what === what);
    expect(by(STEP.generator)?.waitedOn).toEqual({ what: STEP.files, at: 420 });
    expect(by(STEP.engineEvaluated)?.waitedOn).toEqual({ what: '/assets/worker-abc.js', at: 70 });
    expect(by(STEP.firstGrid)?.waitedOn).toEqual({ what: STEP.generate, at: 500 });
    // Only the cold path: nothing requested after the first grid, no mark it does not know.
    expect(rows.map((r) => r.what).join('\n')).not.toMatch(/late\.png|someone else/);
    expect(rows.map((r) => r.start)).toEqual([...rows.map((r) => r.start)].sort((a, b) => a - b));
  });
});
