// What each stage of the pipeline recorded in the run folder: `<run>/pipeline/<stage>.json`, written
// atomically when the stage ends. A record says what the stage did (its result), what it wrote (its
// outputs with sizes and sha256) and how long it took, so a later invocation can continue from any
// stage, check that its inputs are the ones a stage before produced, and write the job summary
// from facts rather than from log lines.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../lib/errors.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { sha256 } from '../lib/hash.ts';

/** The stages, in the order they run. */
export const STAGES = ['train', 'evaluate', 'export', 'gate', 'publish'] as const;
export type Stage = (typeof STAGES)[number];

/** The exit code of a run the gate refused: not an error, and not a success either. */
export const GATE_REFUSED_EXIT = 10;

export const recordsDir = (runDir: string): string => join(runDir, 'pipeline');
export const recordFile = (runDir: string, stage: Stage): string => join(recordsDir(runDir), `${stage}.json`);

const outputSchema = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
});
export type Output = z.infer<typeof outputSchema>;

const routeSchema = z.object({ route: z.string(), used: z.boolean(), why: z.string().optional() });

/** Each stage's own result (what the next stage and the summary read). */
export const resultSchemas = {
  train: z.object({
    status: z.enum(['finished', 'time-limit', 'interrupted']),
    step: z.number().int(),
    target: z.number().int().nullable(),
    trainingSeconds: z.number(),
    preset: z.string(),
    batchSize: z.number().int(),
    backend: z.object({ name: z.string(), device: z.string(), gpu: z.boolean() }),
    routes: z.array(routeSchema),
  }),
  evaluate: z.object({
    samples: z.number().int(),
    fid: z.number(),
    fidFloor: z.number(),
    classAccuracy: z.number().nullable(),
    precision: z.number(),
    recall: z.number(),
  }),
  export: z.object({ version: z.string(), quantization: z.string(), bytes: z.number().int() }),
  gate: z.object({
    version: z.string(),
    passed: z.boolean(),
    skipped: z.boolean(),
    lines: z.array(z.string()),
  }),
  publish: z.object({
    version: z.string(),
    target: z.enum(['local', 'r2']),
    store: z.string(),
    promoted: z.boolean(),
    /** Why it was not promoted (worse than the promoted model, or promotion not asked for). */
    notPromotedBecause: z.string().nullable(),
    /** The model that was promoted before this publish, with its FID, for comparison. */
    previous: z.object({ version: z.string(), fid: z.number() }).nullable(),
    fid: z.number(),
  }),
} satisfies Record<Stage, z.ZodType>;
export type StageResult<S extends Stage> = z.infer<(typeof resultSchemas)[S]>;

const recordBase = {
  startedAt: z.string(),
  seconds: z.number().nonnegative(),
  outputs: z.array(outputSchema),
};

export const recordSchema = z.discriminatedUnion('status', [
  z.object({ ...recordBase, stage: z.enum(STAGES), status: z.literal('done'), result: z.unknown() }),
  // The gate said no: the run folder is kept, nothing after it runs.
  z.object({ ...recordBase, stage: z.enum(STAGES), status: z.literal('refused'), result: z.unknown() }),
  z.object({ ...recordBase, stage: z.enum(STAGES), status: z.literal('failed'), error: z.string() }),
]);
export type StageRecord = z.infer<typeof recordSchema>;

/** A stage's record with its result typed, as a stage ends and as later stages read it. */
export interface Finished<S extends Stage> {
  stage: S;
  status: 'done' | 'refused';
  startedAt: string;
  seconds: number;
  outputs: Output[];
  result: StageResult<S>;
}

export function writeRecord(runDir: string, record: StageRecord): void {
  mkdirSync(recordsDir(runDir), { recursive: true });
  writeFileAtomic(recordFile(runDir, record.stage), `${JSON.stringify(record, null, 2)}\n`);
}

/** The stage's record, or null when it never ran; a damaged record is an error naming the file. */
export function readRecord(runDir: string, stage: Stage): StageRecord | null {
  const file = recordFile(runDir, stage);
  if (!existsSync(file)) return null;
  try {
    return recordSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new Error(`${file} is not a valid stage record (${errorMessage(e)})`);
  }
}

/** The result of a stage that finished, typed; null when it did not run or did not finish. */
export function readResult<S extends Stage>(runDir: string, stage: S): Finished<S> | null {
  const record = readRecord(runDir, stage);
  if (!record || record.status === 'failed') return null;
  const result = resultSchemas[stage].safeParse(record.result);
  if (!result.success) throw new Error(`${recordFile(runDir, stage)}: its result is not a ${stage} result`);
  return { ...record, stage, result: result.data as StageResult<S> };
}

/** Every file under `paths` (files or folders, relative to the run folder), sorted, with size and sha256. */
export function hashOutputs(runDir: string, paths: readonly string[]): Output[] {
  const files: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else files.push(path);
  };
  for (const p of paths) walk(join(runDir, p));
  return files.map((file) => {
    const bytes = readFileSync(file);
    return { path: relative(runDir, file), bytes: bytes.length, sha256: sha256(bytes) };
  });
}

/** The outputs of a stage's record that are no longer what it wrote (changed or gone). */
export function changedOutputs(runDir: string, outputs: readonly Output[]): string[] {
  return outputs.flatMap((o) => {
    const file = join(runDir, o.path);
    if (!existsSync(file)) return [`${o.path} is gone`];
    const bytes = readFileSync(file);
    return bytes.length === o.bytes && sha256(bytes) === o.sha256 ? [] : [`${o.path} changed`];
  });
}

/** A stage that cannot start because a stage before it has not left what it needs. */
export class MissingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingInputError';
  }
}

/**
 * The finished record of the stage `stage` that `by` needs, its outputs unchanged since; else an
 * error that says which stage to run.
 */
export function needs<S extends Stage>(runDir: string, stage: S, by: Stage): Finished<S> {
  const found = readResult(runDir, stage);
  if (!found)
    throw new MissingInputError(
      `the ${by} stage needs the ${stage} stage's result, and ${recordFile(runDir, stage)} ${
        existsSync(recordFile(runDir, stage)) ? 'records a failure' : 'does not exist'
      }: run it first (--from ${stage})`,
    );
  // A stage before it that ran again since makes its result stale (e.g. more training after an evaluation).
  for (const earlier of STAGES.slice(0, STAGES.indexOf(stage))) {
    const record = readRecord(runDir, earlier);
    if (record && record.status !== 'failed' && Date.parse(record.startedAt) > Date.parse(found.startedAt))
      throw new MissingInputError(
        `the ${stage} stage's result predates the ${earlier} stage's last run: run it again (--from ${stage})`,
      );
  }
  const changed = changedOutputs(runDir, found.outputs);
  if (changed.length)
    throw new MissingInputError(
      `what the ${stage} stage wrote has changed since (${changed.slice(0, 3).join(', ')}): run it again (--from ${stage})`,
    );
  return found;
}
