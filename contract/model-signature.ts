// How to call a generator without reading our code: its inputs in the order `predict` takes them,
// and what its output means. Schema 2 manifests carry this; the exporter writes it from the preset.
import { z } from './zod.ts';

/** The noise every preset is trained on (train/rng.ts normals; the page's latents()). */
export const NOISE_DISTRIBUTION = 'normal(0,1)';

/** A dimension of a tensor shape: a size, or null for the batch dimension (any n). */
const dimension = z.number().int().positive().nullable();

export const modelInputSchema = z
  .object({
    /** The model's input layer name (model.json's input_layers), in the order predict() takes them. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    shape: z.array(dimension).min(1).max(4),
    dtype: z.enum(['float32', 'int32']),
    /** Noise inputs: the distribution to draw every value from, e.g. `normal(0,1)`. */
    distribution: z.string().min(1).max(200).optional(),
    /** Condition inputs: what a value means, e.g. `class index 0-9`. */
    encoding: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((i) => (i.distribution === undefined) !== (i.encoding === undefined), {
    message: 'an input has a distribution (noise) or an encoding (condition), exactly one',
  })
  .describe(
    'One input of the model, in the order predict() takes them. Fill noise inputs from `distribution`, condition inputs per `encoding`; null in `shape` is the batch size.',
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
 * in predict()'s order: the noise, then (conditional) the class of each digit as a float [n, 1].
 * `names` are the model's input layer names in that order (the presets call them noise, label).
 */
export function modelInputs(
  latentDim: number,
  classes: number,
  names: readonly string[] = ['noise', 'label'],
): ModelInput[] {
  const noise: ModelInput = {
    name: names[0],
    shape: [null, latentDim],
    dtype: 'float32',
    distribution: NOISE_DISTRIBUTION,
  };
  if (classes === 0) return [noise];
  return [
    noise,
    { name: names[1], shape: [null, 1], dtype: 'float32', encoding: `class index 0-${classes - 1}` },
  ];
}
