// The model as a stranger's script would use it: stock TF.js loads model.json over HTTP from the
// deployment (no hash checks, no code of ours), is called as the manifest says, and the project's
// MNIST classifier reads what it drew.
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import {
  type Manifest,
  MODEL_FILE,
  type ModelInput,
  modelInputs,
  NOISE_DISTRIBUTION,
  latents as seededLatents,
} from '../../contract/index.ts';
import { argmax10, classify, loadShippedClassifier } from '../../model/classifier/classify.ts';
import type { Check } from './check.ts';
import type { Deployment } from './deployment.ts';

/** Digits asked of each class, and the share the classifier must read as asked (issue 22). */
export const PER_CLASS = 64;
export const MIN_AGREEMENT = 0.95;
/** Digits drawn from an unconditional model. */
const UNCONDITIONAL = 640;
const SEED = 20261206;

let backend: Promise<string> | undefined;

/** WASM (about 10× the plain-JS speed here), else plain JS; once per process. */
function tfBackend(): Promise<string> {
  backend ??= (async () => {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) return 'wasm';
    } catch {
      // no WASM runtime: the CPU backend below
    }
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('no TF.js backend would start (wasm, cpu)');
    return 'cpu';
  })();
  return backend;
}

/** What calling an input takes (schema 2's and 3's inputs alike). */
type Input = Pick<ModelInput, 'name' | 'shape' | 'dtype' | 'distribution' | 'encoding'>;

/** The model's inputs in feed order: schema 2 and 3 say so; schema 1 implies the presets' order. */
const inputsOf = (m: Manifest, names: string[]): Input[] =>
  m.schema === 1 ? modelInputs(m.latentDim, m.classes, names) : m.inputs;

/** The file that is the model: schema 3 names it; before, it was always model.json. */
const modelFile = (m: Manifest): string => (m.schema === 3 ? m.model.file : MODEL_FILE);

const shape = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? 'null').join(',')}]`;

export const tfjsLoad = (d: Deployment): Check => ({
  name: 'tfjs',
  async run() {
    const m = d.needManifest();
    const on = await tfBackend();
    const model = await loadLayersModel(d.fileUrl(m, modelFile(m)));
    const inputs = inputsOf(m, model.inputNames);
    const problems: string[] = [];
    const got = model.inputs.map((t, i) => `${model.inputNames[i]} ${shape(t.shape)}`).join(', ');
    const want = inputs.map((i) => `${i.name} ${shape(i.shape)}`).join(', ');
    if (got !== want) problems.push(`its inputs are ${got}; the manifest says ${want}`);
    const out = shape(model.outputs[0].shape);
    if (model.outputs.length !== 1 || out !== '[null,28,28,1]')
      problems.push(`its output is ${out}, not [null,28,28,1]`);
    if (problems.length) return { ok: false, detail: `${modelFile(m)} loaded, but ${problems.join('; ')}` };
    d.model = model;
    return {
      ok: true,
      detail: `tf.loadLayersModel read ${modelFile(m)} and its weights (${on}): ${got} → ${out}`,
    };
  },
});

/** One input's values for n digits: noise from the contract's seeded sampler, classes as `asked`. */
function inputTensor(input: Input, n: number, asked: Int32Array | null): tf.Tensor {
  const dims = input.shape.map((s) => s ?? n);
  if (input.distribution !== undefined) {
    if (input.distribution !== NOISE_DISTRIBUTION)
      throw new Error(`input ${input.name}: noise '${input.distribution}' is not ${NOISE_DISTRIBUTION}`);
    const size = dims.reduce((a, b) => a * b, 1);
    return tf.tensor(seededLatents(SEED, 1, size, 0, 'any').z, dims, input.dtype);
  }
  if (!asked) throw new Error(`input ${input.name}: a class input, but no classes asked for`);
  return tf.tensor(Float32Array.from(asked), dims, input.dtype);
}

/** The model's digits for `asked` (or n unconditional ones) as a user sees them: 8-bit grey, back in [-1, 1]. */
function draw(model: LayersModel, inputs: Input[], n: number, asked: Int32Array | null) {
  const values = tf.tidy(() => {
    const feed = inputs.map((i) => inputTensor(i, n, asked));
    const out = model.predict(feed.length === 1 ? feed[0] : feed) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
  return values.map((v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))) / 127.5 - 1);
}

/** The class the project's MNIST classifier reads in each digit (n × 784, values in [-1, 1]). */
export async function readDigits(images: Float32Array): Promise<Int32Array> {
  await tfBackend();
  const classifier = await loadShippedClassifier();
  try {
    const { probs } = classify(classifier, images);
    return Int32Array.from({ length: images.length / 784 }, (_, i) => argmax10(probs, i));
  } finally {
    classifier.dispose();
  }
}

/** How many of each class were read as asked (conditional) and the verdict. */
export function agreement(
  asked: Int32Array,
  read: Int32Array,
  classes: number,
): { ok: boolean; detail: string } {
  const right = new Array<number>(classes).fill(0);
  for (let i = 0; i < asked.length; i++) if (read[i] === asked[i]) right[asked[i]]++;
  const total = right.reduce((a, b) => a + b, 0);
  const share = total / asked.length;
  const per = asked.length / classes;
  const worst = right.indexOf(Math.min(...right));
  return {
    ok: share >= MIN_AGREEMENT,
    detail:
      `${total}/${asked.length} digits read as asked (${(share * 100).toFixed(1)} %, ${MIN_AGREEMENT * 100} % needed); ` +
      `worst: ${worst} (${right[worst]}/${per})`,
  };
}

/**
 * Whether an unconditional model's digits spread over the classes as handwriting does: at least 8
 * of the 10 digits each make up 2 % or more, and none more than 30 % (MNIST's largest is 11 %). A
 * collapsed generator drawing mostly one shape fails.
 */
export function spread(read: Int32Array): { ok: boolean; detail: string } {
  const counts = new Array<number>(10).fill(0);
  for (const c of read) counts[c]++;
  const shares = counts.map((c) => c / read.length);
  const seen = shares.filter((s) => s >= 0.02).length;
  const top = shares.indexOf(Math.max(...shares));
  return {
    ok: seen >= 8 && shares[top] <= 0.3,
    detail: `${read.length} digits read as ${seen} classes of 10 (≥ 8 needed, each ≥ 2 %); most common: ${top} (${(shares[top] * 100).toFixed(0)} %, ≤ 30 % allowed); counts ${counts.join(' ')}`,
  };
}

export const digits = (d: Deployment): Check => ({
  name: 'digits',
  async run() {
    const m = d.needManifest();
    const model = d.needModel();
    if (m.classes > 10) return { ok: false, detail: `${m.classes} classes: the MNIST classifier reads 10` };
    const inputs = inputsOf(m, model.inputNames);
    const n = m.classes > 0 ? PER_CLASS * m.classes : UNCONDITIONAL;
    const asked = m.classes > 0 ? Int32Array.from({ length: n }, (_, i) => Math.floor(i / PER_CLASS)) : null;
    const read = await readDigits(draw(model, inputs, n, asked));
    return asked ? agreement(asked, read, m.classes) : spread(read);
  },
});
