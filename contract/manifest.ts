// What R2 holds and what the API returns about a model: the training job writes these shapes, the
// worker validates what it reads against them, the page checks what it downloads.

import {
  DEQUANTIZE,
  modelEntrySchema,
  modelInputSchema,
  modelInputV2Schema,
  modelOutputSchema,
} from './model-signature.ts';
import { PRESET_NAMES, QUANTIZATIONS, TRAINING_BACKENDS } from './names.ts';
import { VERSION_PATTERN } from './version.ts';
import { z } from './zod.ts';

export const versionSchema = z.string().regex(VERSION_PATTERN, 'a version such as 20261127T160000Z-ab12cd34');

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
    /**
     * FID, its floor, precision and recall in a second classifier's feature space (another
     * architecture, so one space's blind spots do not flatter a model). Absent before it was measured.
     */
    second: z
      .object({
        classifier: z.string().min(1).max(64),
        fid: z.number().nonnegative(),
        fidFloor: z.number().nonnegative(),
        precision: z.number().min(0).max(1),
        recall: z.number().min(0).max(1),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The training facts of a published model. */
export const trainingSchema = z
  .object({
    steps: z.number().int().nonnegative(),
    batchSize: z.number().int().positive(),
    seconds: z.number().nonnegative(),
    backend: z.enum(TRAINING_BACKENDS),
    device: z.string(),
    commit: z.string(),
    runUrl: z.string(),
  })
  .strict();

/** What every schema has in common, in the order the exporter writes it. */
const head = {
  name: z.literal('mnist-gan'),
  /** Sortable UTC time + short content hash, e.g. 20261127T160000Z-ab12cd34. */
  version: versionSchema,
  createdAt: z.iso.datetime(),
  preset: z.enum(PRESET_NAMES).describe('Which architecture (train/models/presets.ts)'),
  latentDim: z.number().int().positive(),
  /** 0 = unconditional. */
  classes: z
    .number()
    .int()
    .nonnegative()
    .describe('Digit classes the model takes as a condition; 0 = unconditional'),
};

const uniqueWithModelJson = (files: z.ZodArray<typeof modelFileSchema>) =>
  files
    .refine((fs) => fs.some((f) => f.path === 'model.json'), 'files must include model.json')
    .refine((fs) => new Set(fs.map((f) => f.path)).size === fs.length, 'file names must be unique');

/** The first schema: what a model is and how it scored, not how to call it. Still read everywhere. */
export const manifestV1Schema = z
  .object({
    schema: z.literal(1),
    ...head,
    output: z
      .object({
        height: z.literal(28),
        width: z.literal(28),
        channels: z.literal(1),
        range: z.tuple([z.literal(-1), z.literal(1)]),
      })
      .strict(),
    quantization: z.enum(QUANTIZATIONS),
    files: uniqueWithModelJson(z.array(modelFileSchema).min(2)),
    metrics: metricsSchema,
    training: trainingSchema,
  })
  .strict();

/** Schema 2's metrics: the per-class accuracy is always there (null for unconditional models). */
export const metricsV2Schema = metricsSchema.extend({
  perClassAccuracy: z
    .array(z.number().min(0).max(1))
    .min(2)
    .max(100)
    .nullable()
    .describe('Class accuracy of each class asked for, in class order; null for unconditional models'),
});

const cardSchema = z
  .string()
  .min(1)
  .max(4000)
  .describe('What the model is, how it was trained, its limits (plain text)');

type Issue = (path: (string | number)[], message: string) => void;

/** What schema 2 and 3 require of the inputs (noise first, then the class) and per-class accuracy. */
function checkCall(
  m: {
    latentDim: number;
    classes: number;
    inputs: { shape: (number | null)[]; distribution?: string; encoding?: string }[];
    metrics: { perClassAccuracy: number[] | null };
  },
  issue: Issue,
) {
  const [noise, label, ...rest] = m.inputs;
  if (!noise?.distribution || noise.shape.length !== 2 || noise.shape[1] !== m.latentDim)
    issue(['inputs', 0], `the first input is the noise: a distribution and shape [null, ${m.latentDim}]`);
  if (m.classes > 0 && (!label?.encoding || label.shape.length !== 2 || label.shape[1] !== 1))
    issue(['inputs', 1], 'a conditional model takes its class second: an encoding and shape [null, 1]');
  if ((m.classes === 0 && label) || rest.length) issue(['inputs'], 'inputs the model does not have');
  const perClass = m.metrics.perClassAccuracy;
  if (m.classes > 0 ? perClass?.length !== m.classes : perClass !== null)
    issue(['metrics', 'perClassAccuracy'], `one value per class (${m.classes}), or null without classes`);
}

const issuer =
  (ctx: z.RefinementCtx): Issue =>
  (path, message) =>
    ctx.addIssue({ code: 'custom', path, message });

/**
 * Schema 2: self-describing. A client calls the model from `inputs` and `output` alone, reads how
 * it scored per class, and finds the evaluation's sample grid (samples.png) and the loss chart
 * (losses.svg, when the run had one) among the hash-checked `files`.
 */
export const manifestV2Schema = z
  .object({
    schema: z.literal(2),
    ...head,
    output: modelOutputSchema,
    quantization: z.enum(QUANTIZATIONS),
    // The exporter always lists samples.png (and losses.svg when the run had one); a client must
    // not depend on them to run the model, so the contract does not require them.
    files: uniqueWithModelJson(z.array(modelFileSchema).min(2)),
    inputs: z.array(modelInputV2Schema).min(1).max(4).describe("The model's inputs, in predict()'s order"),
    metrics: metricsV2Schema,
    card: cardSchema,
    training: trainingSchema,
  })
  .strict()
  .superRefine((m, ctx) => checkCall(m, issuer(ctx)));

/**
 * Schema 3: schema 2 plus what a client written without our code still had to guess: which file is
 * the model and in what format, how its stored weights become floats (`model`), the feed order of
 * `inputs`, and the values a condition input takes.
 */
export const manifestV3Schema = z
  .object({
    schema: z.literal(3),
    ...head,
    output: modelOutputSchema,
    quantization: z.enum(QUANTIZATIONS),
    model: modelEntrySchema,
    files: uniqueWithModelJson(z.array(modelFileSchema).min(2)),
    inputs: z
      .array(modelInputSchema)
      .min(1)
      .max(4)
      .describe("The model's inputs, listed in feed order (each input's `order`)"),
    metrics: metricsV2Schema,
    card: cardSchema,
    training: trainingSchema,
  })
  .strict()
  .superRefine((m, ctx) => {
    const issue = issuer(ctx);
    checkCall(m, issue);
    if (m.model.dequantize !== DEQUANTIZE[m.quantization])
      issue(['model', 'dequantize'], `${m.quantization} weights are read as: ${DEQUANTIZE[m.quantization]}`);
    m.inputs.forEach((input, i) => {
      if (input.order !== i) issue(['inputs', i, 'order'], `the inputs are listed in feed order: ${i} here`);
    });
    const label = m.inputs[1];
    if (m.classes > 0 && label?.values && label.values.join() !== [...Array(m.classes).keys()].join())
      issue(['inputs', 1, 'values'], `the class indices 0 to ${m.classes - 1}, in order`);
  });

/** The schema new exports write. */
export const MANIFEST_SCHEMA = 3;

/** Any manifest a part may meet in R2 or on disk: schema 1, 2 or 3. */
export const manifestSchema = z.discriminatedUnion('schema', [
  manifestV1Schema,
  manifestV2Schema,
  manifestV3Schema,
]);

export type ModelFile = z.infer<typeof modelFileSchema>;
export type Metrics = z.infer<typeof metricsSchema>;
export type Training = z.infer<typeof trainingSchema>;
export type ManifestV1 = z.infer<typeof manifestV1Schema>;
export type ManifestV2 = z.infer<typeof manifestV2Schema>;
export type ManifestV3 = z.infer<typeof manifestV3Schema>;
export type Manifest = z.infer<typeof manifestSchema>;

/**
 * How long after latest.json changes a worker may still answer `GET /v1/model` with the previous
 * manifest (the worker keeps its copy that long, edge/store.ts); a request with `Cache-Control:
 * no-cache` gets the new one at once.
 */
export const MANIFEST_TTL_SECONDS = 5;

/** `latest.json`: the manifest of the promoted version (the same shape, so the page needs one parser). */
export const latestSchema = manifestSchema;

/** One entry of `GET /v1/models`: what a history of published models shows for each. */
export const versionSummarySchema = z
  .object({
    version: versionSchema,
    createdAt: head.createdAt,
    preset: head.preset,
    quantization: z.enum(QUANTIZATIONS),
    /** Manifest schema of the version (1: no inputs, card or sample grid; 3: also `model`). */
    schema: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    steps: trainingSchema.shape.steps,
    backend: trainingSchema.shape.backend,
    bytes: z.number().int().nonnegative().describe('All files of the version together'),
    metrics: metricsSchema,
    /** The evaluation's sample grid (an API path), or null when the version has none (schema 1). */
    samplesPath: z.string().nullable(),
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
