// What the page is doing, as one value: starting the engine, idle, drawing a grid, walking through
// latent space, or without a model to run. Each event the page sees (the engine started, the
// visitor asked for a grid, a grid was drawn, the walk button, …) moves it to the next mode and
// says what to start, if anything. Pure: main.ts applies it and runs what it says
// (tests/unit/page-state.test.ts walks through it).

export type Mode =
  /** The engine is loading the model and its runtime: its progress and status show. */
  | { kind: 'starting' }
  /** Ready, nothing running. */
  | { kind: 'idle' }
  /** A grid is being computed; `again`: the controls changed meanwhile, draw once more after it. */
  | { kind: 'drawing'; again: boolean }
  /** A walk to the next seed runs, frame by frame; `stop`: the visitor asked it to stop. */
  | { kind: 'walking'; stop: boolean }
  /** Nothing to run (no model published, offline with nothing cached, a failed start). */
  | { kind: 'unavailable' };

export type PageEvent =
  /** The engine has its model and runtime. */
  | { type: 'started' }
  /** The engine has nothing to run. */
  | { type: 'unavailable' }
  /** The visitor asks for what the controls say (`push`: a new entry in the session history). */
  | { type: 'draw'; push: boolean }
  /** The grid being computed is on screen (or failed). */
  | { type: 'drawn' }
  /** The walk button. */
  | { type: 'walk' }
  /** The walk's loop ended: it reached the next seed (`completed`) or was stopped. */
  | { type: 'walked'; completed: boolean }
  /** Back/Forward, or the engine's runtime changed: stop any walk and draw what the controls say. */
  | { type: 'redraw' };

/** What to start on entering the next mode. */
export type Effect = { do: 'draw'; push: boolean } | { do: 'walk' } | null;

const draw = (push: boolean): { mode: Mode; effect: Effect } => ({
  mode: { kind: 'drawing', again: false },
  effect: { do: 'draw', push },
});
const stay = (mode: Mode): { mode: Mode; effect: Effect } => ({ mode, effect: null });

export function next(mode: Mode, e: PageEvent): { mode: Mode; effect: Effect } {
  if (mode.kind === 'unavailable') return stay(mode);
  if (mode.kind === 'starting') {
    if (e.type === 'started') return draw(false); // the first grid; the URL already says it
    if (e.type === 'unavailable') return stay({ kind: 'unavailable' });
    return stay(mode); // the controls are disabled until the engine has started
  }
  switch (e.type) {
    case 'started':
    case 'unavailable':
      return stay(mode);
    case 'draw':
      if (mode.kind === 'idle') return draw(e.push);
      // While drawing: once more when this one is done, with the controls as they are then. While
      // walking: the walk ends by drawing what the controls say.
      return stay(mode.kind === 'drawing' ? { kind: 'drawing', again: true } : mode);
    case 'drawn':
      if (mode.kind !== 'drawing') return stay(mode); // a grid a walk or a redraw superseded
      return mode.again ? draw(true) : stay({ kind: 'idle' });
    case 'walk':
      if (mode.kind === 'walking') return stay({ kind: 'walking', stop: true });
      return { mode: { kind: 'walking', stop: false }, effect: { do: 'walk' } };
    case 'walked':
      if (mode.kind !== 'walking') return stay(mode);
      return e.completed && !mode.stop ? draw(true) : stay({ kind: 'idle' });
    case 'redraw':
      return draw(false);
  }
}

/** The engine's loading events (progress, "Downloading…") matter only until it has started. */
export const showsLoading = (mode: Mode): boolean => mode.kind === 'starting';

/** A walk's loop goes on to its next frame only while this holds. */
export const walkGoesOn = (mode: Mode): boolean => mode.kind === 'walking' && !mode.stop;
