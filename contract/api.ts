// The API's own messages: its error shape and the retrain request (the same fields are the training
// workflow's dispatch inputs).

import { PRESET_NAMES, QUANTIZATIONS } from './names.ts';
import { z } from './zod.ts';

/** Every error the API returns. `code` is stable and machine-readable; `message` is for people. */
export const apiErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }).strict() })
  .strict();

/**
 * `POST /v1/retrain`'s body and, the same fields, the training workflow's `workflow_dispatch`
 * inputs (GitHub passes every input as a string; see workflowInputs).
 */
export const retrainRequestSchema = z
  .object({
    /** full: train, gate, publish; smoke: prove the GPU runner in minutes, publish nothing. */
    mode: z.enum(['full', 'smoke']).default('full'),
    preset: z.enum(PRESET_NAMES).default('fast-cond'),
    /** Training steps; the workflow's default budget when absent. */
    steps: z.number().int().min(1).max(1_000_000).optional(),
    quantization: z.enum(QUANTIZATIONS).default('uint8'),
    /** Publish to R2 and promote when the quality gate passes. */
    publish: z.boolean().default(true),
    /** Promote even when the gate finds the model worse than the current one. */
    force: z.boolean().default(false),
  })
  .strict();

export const retrainAcceptedSchema = z
  .object({
    /** null when GitHub did not report the run (older GitHub Enterprise servers). */
    runId: z.number().int().nullable(),
    runUrl: z.string(),
    inputs: z.record(z.string(), z.string()),
  })
  .strict();

/**
 * The statuses of a GitHub workflow run that has not finished: requested and queued (about to start),
 * pending (waiting for its concurrency group), waiting (for an environment's approval), in_progress.
 */
export const ACTIVE_RUN_STATUSES = ['requested', 'queued', 'pending', 'waiting', 'in_progress'] as const;
export type ActiveRunStatus = (typeof ACTIVE_RUN_STATUSES)[number];

/**
 * `POST /v1/retrain`'s 409: the API's error, with the training run GitHub already holds. GitHub keeps
 * one running and one pending run per concurrency group and cancels an older pending one, so a new
 * run would wait behind this one or cancel it.
 */
export const retrainConflictSchema = z
  .object({
    error: apiErrorSchema.shape.error,
    runId: z.number().int(),
    runUrl: z.string(),
    /** GitHub's status of that run. */
    runStatus: z.enum(ACTIVE_RUN_STATUSES),
  })
  .strict();

export type RetrainRequest = z.infer<typeof retrainRequestSchema>;
export type ApiError = z.infer<typeof apiErrorSchema>;
export type RetrainConflict = z.infer<typeof retrainConflictSchema>;

/** The workflow_dispatch inputs of a retrain request: strings, absent fields left out. */
export function workflowInputs(r: RetrainRequest): Record<string, string> {
  const inputs: Record<string, string> = {
    mode: r.mode,
    preset: r.preset,
    quantization: r.quantization,
    publish: String(r.publish),
    force: String(r.force),
  };
  if (r.steps !== undefined) inputs.steps = String(r.steps);
  return inputs;
}
