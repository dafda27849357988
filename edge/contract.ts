// The one shared contract: what R2 holds and what the API returns. The training job writes these
// shapes, the worker validates what it reads against them, the page checks what it downloads.
import { z } from 'zod';

export const PRESET_NAMES = ['tutorial', 'fast', 'fast-cond'] as const;
export const QUANTIZATIONS = ['uint8', 'float16', 'float32'] as const;
export const TRAINING_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** A file of a model version: a plain name (no folders, no traversal), its size and hash. */
export const modelFileSchema = z
  .object({
    path: z.string().regex(/^(?!\.)[A-Za-z0-9._-]{1,128}$/, 'a plain file name'),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export const metricsSchema = z
  .object({
    fid: z.number().nonnegative(),
    fidFloor: z.number().nonnegative(),
    inceptionScore: z.number().min(0).max(10.0001),
    /** Conditional presets only. */
    classAccuracy: z.number().min(0).max(1).nullable(),
    /**
     * Conditional presets: class accuracy for each class asked for, 0–9 (the worst is what a visitor
     * who asks for that digit sees). Absent in manifests made before it was measured.
     */
    perClassAccuracy: z.array(z.number().min(0).max(1)).min(2).max(100).nullable().optional(),
    precision: z.number().min(0).max(1),
    recall: z.number().min(0).max(1),
    classKL: z.number().nonnegative(),
    samples: z.number().int().positive(),
  })
  .strict();

export const manifestSchema = z
  .object({
    schema: z.literal(1),
    name: z.literal('mnist-gan'),
    /** Sortable UTC time + short content hash, e.g. 20261127T160000Z-ab12cd34. */
    version: z.string().regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/),
    createdAt: z.iso.datetime(),
    preset: z.enum(PRESET_NAMES),
    latentDim: z.number().int().positive(),
    /** 0 = unconditional. */
    classes: z.number().int().nonnegative(),
    output: z
      .object({
        height: z.literal(28),
        width: z.literal(28),
        channels: z.literal(1),
        range: z.tuple([z.literal(-1), z.literal(1)]),
      })
      .strict(),
    quantization: z.enum(QUANTIZATIONS),
    files: z
      .array(modelFileSchema)
      .min(2)
      .refine((files) => files.some((f) => f.path === 'model.json'), 'files must include model.json')
      .refine(
        (files) => new Set(files.map((f) => f.path)).size === files.length,
        'file names must be unique',
      ),
    metrics: metricsSchema,
    training: z
      .object({
        steps: z.number().int().nonnegative(),
        batchSize: z.number().int().positive(),
        seconds: z.number().nonnegative(),
        backend: z.enum(TRAINING_BACKENDS),
        device: z.string(),
        commit: z.string(),
        runUrl: z.string(),
      })
      .strict(),
  })
  .strict();

export type ModelFile = z.infer<typeof modelFileSchema>;
export type Metrics = z.infer<typeof metricsSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** `latest.json`: the manifest of the promoted version (the same shape, so the page needs one parser). */
export const latestSchema = manifestSchema;

/** One entry of `GET /v1/models`. */
export const versionSummarySchema = z
  .object({
    version: manifestSchema.shape.version,
    createdAt: manifestSchema.shape.createdAt,
    preset: manifestSchema.shape.preset,
    quantization: manifestSchema.shape.quantization,
    bytes: z.number().int().nonnegative(),
    metrics: metricsSchema,
    promoted: z.boolean(),
  })
  .strict();

export const versionListSchema = z
  .object({
    versions: z.array(versionSummarySchema),
    /** Pass as `?cursor=` for the next (older) page; null on the last page. */
    cursor: z.string().nullable(),
  })
  .strict();

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

export type RetrainRequest = z.infer<typeof retrainRequestSchema>;
export type VersionSummary = z.infer<typeof versionSummarySchema>;
export type VersionList = z.infer<typeof versionListSchema>;
export type ApiError = z.infer<typeof apiErrorSchema>;

/** The workflow_dispatch inputs of a retrain request: strings, absent fields left out. */
export function workflowInputs(r: RetrainRequest): Record<string, string> {
  const inputs: Record<string, string> = {
    preset: r.preset,
    quantization: r.quantization,
    publish: String(r.publish),
    force: String(r.force),
  };
  if (r.steps !== undefined) inputs.steps = String(r.steps);
  return inputs;
}

/** R2 keys: one folder per version, the promoted manifest at the root, written last. */
export const r2Keys = {
  latest: 'latest.json',
  versionPrefix: 'models/',
  file: (version: string, path: string) => `models/${version}/${path}`,
  manifest: (version: string) => `models/${version}/manifest.json`,
} as const;
