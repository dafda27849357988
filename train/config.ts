import { z } from 'zod';
import { BACKENDS } from './backend.ts';
import { PRESETS } from './models/presets.ts';

/** Everything that defines a training run. Stored in the checkpoint, so a resume continues the same run. */
export const trainConfigSchema = z.object({
  preset: z.enum(PRESETS),
  /** Stop after this many steps / epochs / minutes, whichever comes first (null = no such limit). */
  steps: z.number().int().positive().nullable(),
  epochs: z.number().positive().nullable(),
  maxMinutes: z.number().positive().nullable(),
  batchSize: z.number().int().min(2).max(4096),
  lr: z.number().positive().max(1),
  beta1: z.number().min(0).max(0.999),
  seed: z.number().int().nonnegative(),
  out: z.string().min(1),
  resume: z.boolean(),
  backend: z.enum(BACKENDS),
  requireGpu: z.boolean(),
  logEvery: z.number().int().positive(),
  sampleEvery: z.number().int().positive(),
  checkpointEvery: z.number().int().positive(),
  /** Train on the first N training digits only (quick experiments and tests); null = all 60,000. */
  trainDigits: z.number().int().positive().max(60_000).nullable(),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Used when none of --steps/--epochs/--max-minutes is given. */
export const DEFAULT_STEPS = 5000;

export const DEFAULTS = {
  preset: 'fast-cond',
  batchSize: 64,
  lr: 2e-4,
  beta1: 0.5,
  seed: 1,
  backend: 'auto',
  logEvery: 50,
  sampleEvery: 500,
  checkpointEvery: 500,
} as const;

/** The settings a resumed run must share with the checkpoint it continues. */
export const RUN_IDENTITY = ['preset', 'batchSize', 'lr', 'beta1', 'seed', 'trainDigits'] as const;

/** The step the run ends at, or null when only a time budget limits it. */
export function targetSteps(c: TrainConfig, stepsPerEpoch: number): number | null {
  const limits: number[] = [];
  if (c.steps !== null) limits.push(c.steps);
  if (c.epochs !== null) limits.push(Math.max(1, Math.round(c.epochs * stepsPerEpoch)));
  if (limits.length === 0 && c.maxMinutes === null) limits.push(DEFAULT_STEPS);
  return limits.length ? Math.min(...limits) : null;
}
