// The page's generator graph (web/src/engine/graph.ts) against tfjs-layers, which runs the same
// model.json everywhere else: every preset's real export, with every weight made random (PReLU
// slopes that differ by channel, biases far from 0), computes what tfjs-layers computes; the
// shipped uint8 export, decoded from its files as the page decodes them, too. What the graph does
// not compile (a BatchNormalization left unfolded, an activation it does not know, a weight no
// layer reads) is refused with its reason, for generator.ts to hand to tfjs-layers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../../contract/index.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { selectBackend } from '../../train/backend.ts';
import { getPreset, type Preset } from '../../train/models/presets.ts';
import { Rng } from '../../train/rng.ts';
import { compileGraph, Unsupported } from '../../web/src/engine/graph.ts';
import { absDiff } from '../array-diff.ts';

const root = mkdtempSync(join(tmpdir(), 'graph-'));
const exportOptions = (classes: number) => ({
  quantization: 'float32' as const,
  metrics: {
    fid: 50,
    fidFloor: 1,
    inceptionScore: 5,
    classAccuracy: classes ? 0.5 : null,
    perClassAccuracy: classes ? Array.from({ length: classes }, () => 0.5) : null,
    precision: 0.5,
    recall: 0.5,
    classKL: 0.1,
    samples: 1000,
  },
  training: {
    steps: 1,
    batchSize: 1,
    seconds: 1,
    backend: 'wasm' as const,
    device: 'test',
    commit: 'test',
    runUrl: '',
  },
});

beforeAll(async () => {
  await selectBackend('wasm', false, () => {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function exported(preset: Preset, dir: string, unfolded = false): string {
  let i = 0;
  const g = preset.generator({ next: () => i++ });
  exportGenerator(g, preset, join(root, dir), { ...exportOptions(preset.classes), unfolded });
  g.dispose();
  return join(root, dir);
}

/** Every weight random: kernels at 1/√(kernel size ÷ last axis), biases and embeddings about ±0.3, slopes 0.05–0.45. */
function randomize(m: LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const w of m.weights) {
    const size = w.shape.reduce((a, b) => (a as number) * (b as number), 1) as number;
    const v = rng.normals(size);
    const fanIn = w.shape.length > 1 ? size / (w.shape[w.shape.length - 1] as number) : 1;
    const values = w.originalName.endsWith('/alpha')
      ? v.map((x) => 0.25 + 0.1 * Math.max(-2, Math.min(2, x)))
      : w.originalName.endsWith('/kernel')
        ? v.map((x) => x / Math.sqrt(fanIn))
        : v.map((x) => 0.3 * x);
    w.write(tf.tensor(values, w.shape as number[]));
  }
}

function inputs(preset: Preset, n: number): tf.Tensor[] {
  const z = tf.tensor2d(new Rng(7).normals(n * preset.latentDim), [n, preset.latentDim]);
  if (!preset.classes) return [z];
  return [
    z,
    tf.tensor2d(
      Float32Array.from({ length: n }, (_, i) => i % preset.classes),
      [n, 1],
    ),
  ];
}

const topologyOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).modelTopology;
const weightsOf = (m: LayersModel) => Object.fromEntries(m.weights.map((w) => [w.originalName, w.read()]));
const run = (f: () => tf.Tensor) => tf.tidy(() => f().dataSync<'float32'>().slice());

describe.each(PRESET_NAMES)('%s', (name) => {
  it('the graph computes what tfjs-layers computes from the same export, weights random', async () => {
    const preset = getPreset(name);
    const dir = exported(preset, name);
    const model = await loadLayersModelFromDir(dir);
    randomize(model, 11);
    const x = inputs(preset, 24);
    const reference = run(() => model.predict(x, { batchSize: 24 }) as tf.Tensor);
    // Not saturated: the output must still depend on every layer's values for this to test them.
    expect(reference.filter((v) => Math.abs(v) < 0.9).length / reference.length).toBeGreaterThan(0.3);
    const graph = compileGraph(tf, topologyOf(dir), weightsOf(model));
    const ours = run(() => graph(x));
    expect(ours.length).toBe(24 * 28 * 28);
    // Float rounding only (a slope, a bias, an axis or an input order wrong is off by 1e-2 or more).
    expect(absDiff(ours, reference).max).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('the shipped export', () => {
  it('decoded from its files as the page decodes them, the graph computes what tfjs-layers does', async () => {
    const dir = 'model/shipped';
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const group = json.weightsManifest[0];
    const bytes = readFileSync(join(dir, group.paths[0]));
    const weights = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      group.weights,
    );
    const graph = compileGraph(tf, json.modelTopology, weights);
    const model = await loadLayersModelFromDir(dir);
    const x = inputs(getPreset('fast-cond'), 64);
    const d = absDiff(
      run(() => graph(x)),
      run(() => model.predict(x, { batchSize: 64 }) as tf.Tensor),
    );
    expect(d.max).toBeLessThan(1e-5);
    model.dispose();
    tf.dispose(Object.values(weights));
  });
});

describe("the style-row filter's classifier", () => {
  it('the page loads it as it loads the generator: the graph computes the logits tfjs-layers does', async () => {
    const dir = 'contract/style-filter';
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bytes = readFileSync(join(dir, 'weights.bin'));
    const weights = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      json.weightsManifest[0].weights,
    );
    const graph = compileGraph(tf, json.modelTopology, weights);
    const model = await loadLayersModelFromDir(dir);
    const x = [tf.randomUniform([32, 28, 28, 1], -1, 1, 'float32', 7)];
    const d = absDiff(
      run(() => graph(x)),
      run(() => model.predict(x[0]) as tf.Tensor),
    );
    expect(d.max).toBeLessThan(1e-5);
    model.dispose();
    tf.dispose([...x, ...Object.values(weights)]);
  });
});

describe('what the graph does not compile', () => {
  const preset = getPreset('fast-cond');
  it('a BatchNormalization (an unfolded export), an unknown activation, a weight no layer reads', async () => {
    const unfolded = exported(preset, 'unfolded', true);
    const model = await loadLayersModelFromDir(unfolded);
    expect(() => compileGraph(tf, topologyOf(unfolded), weightsOf(model))).toThrow(
      new Unsupported('layer BatchNormalization'),
    );
    model.dispose();

    const dir = exported(preset, 'folded');
    const folded = await loadLayersModelFromDir(dir);
    const softmax = topologyOf(dir);
    const dense = softmax.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense');
    dense.config.activation = 'softmax';
    expect(() => compileGraph(tf, softmax, weightsOf(folded))).toThrow(new Unsupported('activation softmax'));
    const extra = { ...weightsOf(folded), 'stray/kernel': tf.zeros([2, 2]) };
    expect(() => compileGraph(tf, topologyOf(dir), extra)).toThrow(
      new Unsupported('weights no layer reads: stray/kernel'),
    );
    const missing = weightsOf(folded);
    delete missing[`${dense.config.name}/bias`];
    expect(() => compileGraph(tf, topologyOf(dir), missing)).toThrow(
      new Unsupported(`weight ${dense.config.name}/bias`),
    );
    folded.dispose();
  });
});
