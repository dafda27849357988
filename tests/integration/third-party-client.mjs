// A client written as someone outside this project would write it: it imports nothing of this
// repository, only stock TensorFlow.js from npm, and knows the model only through the manifest the
// API serves (`model`, `inputs`, `output`, `version`). It loads the promoted model with
// tf.loadLayersModel from the API, asks for `n` digits of each class, and has an MNIST classifier
// read them.
//
//   node third-party-client.mjs <api origin> <classifier folder> [n per class]
//
// The classifier folder holds a TF.js layers model (model.json + weights) that takes 28×28×1 grey
// images scaled to [-1, 1] and outputs 10 class scores. Prints one JSON line with the agreement.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';

const [api, classifierDir, perClassArg = '64'] = process.argv.slice(2);
if (!api || !classifierDir) {
  console.error('usage: node third-party-client.mjs <api origin> <classifier folder> [n per class]');
  process.exit(2);
}
const perClass = Number(perClassArg);

/** A seeded uniform generator (mulberry32), so a run can be repeated. */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values from a distribution the manifest names, e.g. `normal(0,1)` or `uniform(-1,1)`. */
function sample(distribution, n, u) {
  const m = /^(normal|uniform)\(\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*\)$/.exec(distribution);
  if (!m) throw new Error(`unknown distribution '${distribution}'`);
  const [a, b] = [Number(m[2]), Number(m[3])];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (m[1] === 'uniform') out[i] = a + (b - a) * u();
    else out[i] = a + b * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  }
  return out;
}

/** The class labels, one value per row: each one of the input's valid `values`. */
function classValues(input, classes) {
  if (classes.some((c) => !input.values.includes(c))) throw new Error(`a class not among ${input.values}`);
  return Float32Array.from(classes);
}

/** A tensor for one input: the batch dimension (null) is n, the rest as the manifest says. */
function inputTensor(input, n, classes, u) {
  const shape = input.shape.map((d) => (d === null ? n : d));
  const size = shape.reduce((a, b) => a * b, 1);
  const values = input.distribution ? sample(input.distribution, size, u) : classValues(input, classes);
  if (values.length !== size) throw new Error(`input ${input.name}: ${values.length} values for ${shape}`);
  return tf.tensor(values, shape, input.dtype);
}

/** Output values → grey levels 0–255, from the output's range (its `pixels` rule says the same). */
function toGrey(values, [lo, hi]) {
  return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(((v - lo) / (hi - lo)) * 255))));
}

async function loadClassifier(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weights = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
  const all = Buffer.concat(weights);
  return loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    }),
  );
}

await tf.setBackend('cpu');
const manifest = await (await fetch(`${api}/v1/model`)).json();
const { model: entry, output, version } = manifest;
if (!Array.isArray(manifest.inputs) || !output || !entry)
  throw new Error('the manifest does not say how to call the model');
if (entry.format !== 'tfjs-layers') throw new Error(`model format ${entry.format} is not handled here`);
if (output.layout !== 'NHWC') throw new Error(`layout ${output.layout} is not handled here`);
// tf.loadLayersModel dequantizes the weights itself (entry.dequantize says how).
const model = await loadLayersModel(`${api}/v1/models/${version}/${entry.file}`);
const inputs = [...manifest.inputs].sort((a, b) => a.order - b.order);
if (model.inputNames.join() !== inputs.map((i) => i.name).join())
  throw new Error(`the model's inputs ${model.inputNames} are not the manifest's`);

const label = inputs.find((i) => i.encoding);
const classCount = label ? label.values.length : 0;
if (!classCount) throw new Error('an unconditional model: no class to ask for');
const n = classCount * perClass;
const asked = Array.from({ length: n }, (_, i) => Math.floor(i / perClass));
const u = uniform(20261130);
const images = tf.tidy(() => {
  const out = model.predict(inputs.map((input) => inputTensor(input, n, asked, u)));
  const want = output.shape.map((d) => (d === null ? n : d));
  if (out.shape.join() !== want.join()) throw new Error(`output shape ${out.shape}, manifest says ${want}`);
  return out.dataSync();
});
const grey = toGrey(images, output.range);

const classifier = await loadClassifier(classifierDir);
const predicted = tf.tidy(() => {
  const x = tf.tensor4d(
    Float32Array.from(grey, (g) => g / 127.5 - 1),
    [n, output.height, output.width, output.channels],
  );
  return tf.argMax(classifier.predict(x), -1).dataSync();
});
const byClass = Array.from({ length: classCount }, () => 0);
for (let i = 0; i < n; i++) if (predicted[i] === asked[i]) byClass[asked[i]]++;
const agreed = byClass.reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ version, total: n, agreed, agreement: agreed / n, byClass }));
