// What R2 holds and what the API returns about a model: the training job writes these shapes, the
// worker validates what it reads against them, the page checks what it downloads.
import { z } from 'zod';
import { PRESET_NAMES, QUANTIZATIONS, TRAINING_BACKENDS } from './names.ts';
import { versionSchema } from './version.ts';

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
    version: versionSchema,
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

export type VersionSummary = z.infer<typeof versionSummarySchema>;
export type VersionList = z.infer<typeof versionListSchema>;
