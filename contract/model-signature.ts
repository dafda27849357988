// How to call a generator without reading our code: which file is the model and how to read its
// weights, its inputs in feed order, and what its output means. Schema 2 manifests carry the inputs
// and output, schema 3 all of it; the exporter writes it from the preset.
import type { Quantization } from './names.ts';
import { z } from './zod.ts';

/** The noise every preset is trained on (train/rng.ts normals; the page's latents()). */
export const NOISE_DISTRIBUTION = 'normal(0,1)';

/** A dimension of a tensor shape: a size, or null for the batch dimension (any n). */
const dimension = z.number().int().positive().nullable();

const inputFields = {
  /** The model's input layer name (model.json's input_layers). */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  shape: z.array(dimension).min(1).max(4),
  dtype: z.enum(['float32', 'int32']),
  /** Noise inputs: the distribution to draw every value from, e.g. `normal(0,1)`. */
  distribution: z.string().min(1).max(200).optional(),
  /** Condition inputs: what a value means, e.g. `class index 0-9`. */
  encoding: z.string().min(1).max(200).optional(),
};

const noiseOrCondition = {
  message: 'an input has a distribution (noise) or an encoding (condition), exactly one',
};
const exactlyOneKind = (i: { distribution?: string; encoding?: string }) =>
  (i.distribution === undefined) !== (i.encoding === undefined);

/** Schema 2's input: the list's order is predict()'s, which only the documentation says. */
export const modelInputV2Schema = z
  .object(inputFields)
  .strict()
  .refine(exactlyOneKind, noiseOrCondition)
  .describe(
    'One input of the model, in the order predict() takes them. Fill noise inputs from `distribution`, condition inputs per `encoding`; null in `shape` is the batch size.',
  );

/**
 * Schema 3's input says what schema 2 left to the documentation: its place in the feed order, and
 * for a condition the values it takes (given as `dtype`: a class index 7 is fed as the float 7).
 */
export const modelInputSchema = z
  .object({
    name: inputFields.name,
    order: z
      .number()
      .int()
      .nonnegative()
      .describe("The input's place in the feed order (predict()'s, model.json's input_layers): 0 first"),
    shape: inputFields.shape,
    dtype: inputFields.dtype,
    distribution: inputFields.distribution,
    encoding: inputFields.encoding,
    values: z
      .array(z.number().int())
      .min(1)
      .max(1000)
      .optional()
      .describe('Condition inputs: every valid value, each fed as a number of `dtype` (7 → 7.0 in float32)'),
  })
  .strict()
  .refine(exactlyOneKind, noiseOrCondition)
  .refine((i) => (i.values === undefined) === (i.encoding === undefined), {
    message: 'a condition input lists its valid values, a noise input none',
    path: ['values'],
  })
  .describe(
    'One input of the model. Feed the inputs in `order`; fill noise inputs from `distribution`, condition inputs with one of `values` per row (as `dtype`); null in `shape` is the batch size.',
  );

export const modelOutputSchema = z
  .object({
    height: z.literal(28),
    width: z.literal(28),
    channels: z.literal(1),
    /** The values the model produces (tanh). */
    range: z.tuple([z.literal(-1), z.literal(1)]),
    /** [batch, height, width, channels]. */
    shape: z.tuple([z.null(), z.literal(28), z.literal(28), z.literal(1)]),
    dtype: z.literal('float32'),
    layout: z.literal('NHWC'),
    /** How a value becomes a grey level. */
    pixels: z.string().min(1).max(300),
  })
  .strict()
  .describe(
    'The output tensor: n grayscale 28×28 digits, NHWC, values in `range`; `pixels` maps a value to 0–255.',
  );

export type ModelInputV2 = z.infer<typeof modelInputV2Schema>;
export type ModelInput = z.infer<typeof modelInputSchema>;
export type ModelOutput = z.infer<typeof modelOutputSchema>;

/** The pixel rule of every preset: tanh output, white digit on black, as MNIST. */
export const PIXEL_MAPPING =
  'grey = round((v + 1) * 127.5), clamped to 0-255; 0 is the black background, 255 white ink';

export const MODEL_OUTPUT: ModelOutput = {
  height: 28,
  width: 28,
  channels: 1,
  range: [-1, 1],
  shape: [null, 28, 28, 1],
  dtype: 'float32',
  layout: 'NHWC',
  pixels: PIXEL_MAPPING,
};

/**
 * The inputs of a generator with `latentDim` noise values and `classes` classes (0: unconditional),
 * in feed order: the noise, then (conditional) the class of each digit as a float [n, 1].
 * `names` are the model's input layer names in that order (the presets call them noise, label).
 */
export function modelInputs(
  latentDim: number,
  classes: number,
  names: readonly string[] = ['noise', 'label'],
): ModelInput[] {
  const noise: ModelInput = {
    name: names[0],
    order: 0,
    shape: [null, latentDim],
    dtype: 'float32',
    distribution: NOISE_DISTRIBUTION,
  };
  if (classes === 0) return [noise];
  return [
    noise,
    {
      name: names[1],
      order: 1,
      shape: [null, 1],
      dtype: 'float32',
      encoding: `class index 0-${classes - 1}`,
      values: Array.from({ length: classes }, (_, c) => c),
    },
  ];
}

/** The file of a version that is the model, and its format (tfjs-layers: model.json + shards). */
export const MODEL_FILE = 'model.json';
export const MODEL_FORMAT = 'tfjs-layers';

/**
 * How a stored weight becomes a float32, for each manifest `quantization` (what TF.js does on load).
 * uint8 is affine per tensor; its scale and min are in the weight's entry in model.json.
 */
export const DEQUANTIZE: Record<Quantization, string> = {
  uint8: "value = q * scale + min (q: the stored byte; scale, min: the weight's quantization in model.json)",
  float16: 'value = the stored IEEE 754 half float (2 bytes, little-endian), widened to float32',
  float32: 'value = the stored float32 (4 bytes, little-endian): not quantized',
};

/** Schema 3's `model`: which listed file is the model, in which format, and how to read its weights. */
export const modelEntrySchema = z
  .object({
    file: z.literal(MODEL_FILE),
    format: z.literal(MODEL_FORMAT),
    dequantize: z.string().min(1).max(300),
  })
  .strict()
  .describe(
    'The model: `file` (one of `files`) in `format` (a TensorFlow.js layers model: modelTopology + weightsManifest, loadable by tf.loadLayersModel); `dequantize` turns its stored weights into float32.',
  );

export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** The `model` entry of a schema 3 manifest whose weights are stored as `quantization`. */
export const modelEntry = (quantization: Quantization): ModelEntry => ({
  file: MODEL_FILE,
  format: MODEL_FORMAT,
  dequantize: DEQUANTIZE[quantization],
});
