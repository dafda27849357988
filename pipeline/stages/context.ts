import type { Stage, StageResult } from '../records.ts';

/** What every stage gets: the run folder, where to say what it does, and Ctrl-C. */
export interface StageContext {
  runDir: string;
  log: (line: string) => void;
  signal: AbortSignal;
}

/** What a stage hands back: its result, what it wrote (paths relative to the run folder), and whether the gate refused. */
export interface StageOutcome<S extends Stage> {
  result: StageResult<S>;
  outputs: string[];
  refused?: boolean;
}
