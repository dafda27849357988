// The numpy client of docs/api.md, run as its reader would run it: the python block is read from the
// page (so page and test cannot drift), run with python3 on the shipped model, from its folder and
// through the local worker, and compared with what TF.js makes of the same model for the same noise
// and labels. Where python3 with numpy is missing, the tests that run it say they skipped and why.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latents, manifestV3Schema, type Quantization } from '../../contract/index.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { getPreset } from '../../train/models/presets.ts';
import { absDiff } from '../array-diff.ts';

const DOC = 'docs/api.md';
const MODEL = 'model/shipped';
const root = mkdtempSync(join(tmpdir(), 'numpy-client-'));
const CLIENT = join(root, 'gan_client.py');

/** The one python block of the page. */
function pythonBlock(): string {
  const blocks = [...readFileSync(DOC, 'utf8').matchAll(/^```python\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  if (blocks.length !== 1) throw new Error(`${DOC}: ${blocks.length} python blocks, expected one`);
  return blocks[0];
}

/** Why the client cannot run here, or null. */
function missingPython(): string | null {
  const r = spawnSync(
    'python3',
    ['-c', 'import sys, numpy; assert sys.version_info >= (3, 10), sys.version'],
    {
      encoding: 'utf8',
    },
  );
  if (r.error) return `no python3 (${r.error.message})`;
  if (r.status !== 0) return `python3 ≥ 3.10 with numpy is missing: ${r.stderr.trim().split('\n').pop()}`;
  return null;
}
const missing = missingPython();
const runs = missing ? ` (skipped: ${missing})` : '';
if (missing) console.warn(`the numpy client of ${DOC} is not run here: ${missing}`);

/** Calls the client's load() and generate() on `source` as a Python program would import them. */
const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import gan_client
request = json.load(open(sys.argv[2]))
loaded = gan_client.load(request["source"])
out = gan_client.generate(loaded, *request["feed"])
print(json.dumps({"version": loaded[0]["version"], "shape": list(out.shape), "values": out.ravel().tolist()}))
`;

// Not spawnSync: the local worker runs in this process and must keep answering.
const python = (args: string[]) => promisify(execFile)('python3', args, { timeout: 120_000 });

/** What a failed run of the client printed and its exit code. */
async function failure(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await python(args);
  } catch (e) {
    const { code, stderr } = e as { code: number; stderr: string };
    return { code, stderr };
  }
  throw new Error(`python3 ${args.join(' ')} succeeded`);
}

// Fixed noise (the contract's seeded normals) and every class, some twice.
const N = 12;
const noise = latents(20261206, N, 64, 0, 'any').z;
const labels = Array.from({ length: N }, (_, i) => (i * 7) % 10);

interface Generated {
  version: string;
  shape: number[];
  values: number[];
}

/** The client's output for the fixed noise (and labels, for a conditional model) from `source`. */
async function generate(source: string, conditional = true): Promise<Generated> {
  const request = join(root, `request-${Math.random().toString(36).slice(2)}.json`);
  const rows = Array.from({ length: N }, (_, i) => Array.from(noise.subarray(i * 64, (i + 1) * 64)));
  writeFileSync(request, JSON.stringify({ source, feed: conditional ? [rows, labels] : [rows] }));
  const { stdout } = await python(['-c', DRIVER, root, request]);
  return JSON.parse(stdout) as Generated;
}

/** What TF.js (cpu) makes of the export folder `dir` for the same inputs. */
async function tfjs(dir: string, conditional = true): Promise<Float32Array> {
  const model = await loadLayersModelFromDir(dir);
  try {
    return tf.tidy(() => {
      const z = tf.tensor2d(noise, [N, 64]);
      const out = model.predict(conditional ? [z, tf.tensor2d(labels, [N, 1])] : z) as tf.Tensor;
      return out.dataSync<'float32'>().slice();
    });
  } finally {
    model.dispose();
  }
}

/** Exports an untrained generator of `preset` (random weights, folded as every export is). */
function exportUntrained(preset: 'fast' | 'fast-cond', quantization: Quantization): string {
  const p = getPreset(preset);
  let seed = 11;
  const generator = p.generator({ next: () => seed++ });
  const dir = join(root, `${preset}-${quantization}`);
  exportGenerator(generator, p, dir, {
    quantization,
    metrics: {
      fid: 100,
      fidFloor: 1,
      inceptionScore: 1,
      classAccuracy: p.classes ? 0.1 : null,
      perClassAccuracy: p.classes ? Array(p.classes).fill(0.1) : null,
      precision: 0,
      recall: 0,
      classKL: 1,
      samples: 100,
    },
    training: {
      steps: 0,
      batchSize: 1,
      seconds: 0,
      backend: 'cpu',
      device: 'test',
      commit: 'test',
      runUrl: '',
    },
  });
  generator.dispose();
  return dir;
}

let fromFolder: Generated | undefined;

beforeAll(async () => {
  writeFileSync(CLIENT, pythonBlock());
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the numpy client of docs/api.md', () => {
  it('is short and needs numpy only (with the standard library)', () => {
    const code = pythonBlock();
    expect(code.split('\n').length).toBeLessThanOrEqual(90);
    const modules = [...code.matchAll(/^(?:import (.+)|from (\S+) import .+)$/gm)].flatMap((m) =>
      (m[1] ?? m[2]).split(',').map((s) => s.trim().split(/[ .]/)[0]),
    );
    expect(new Set(modules)).toEqual(new Set(['hashlib', 'json', 'sys', 'urllib', 'pathlib', 'numpy']));
  });

  it.skipIf(missing !== null)(`draws what TF.js draws, from the shipped model's folder${runs}`, async () => {
    fromFolder = await generate(MODEL);
    const manifest = manifestV3Schema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));
    expect(fromFolder.version).toBe(manifest.version);
    expect(fromFolder.shape).toEqual([N, 28, 28, 1]);
    const d = absDiff(Float32Array.from(fromFolder.values), await tfjs(MODEL));
    console.log(
      `numpy client vs TF.js (cpu), ${N} digits: max ${d.max.toExponential(2)}, mean ${d.mean.toExponential(2)}`,
    );
    // Float32 sums in another order: about 2e-6 apart (measured). A wrong weight or layer is off by 1e-2 or more.
    expect(d.max).toBeLessThan(2e-5);
    // Digits, not a blank: ink (near 1) and background (near -1) in every image.
    for (let i = 0; i < N; i++) {
      const image = fromFolder.values.slice(i * 784, (i + 1) * 784);
      expect(Math.max(...image), `digit ${i}`).toBeGreaterThan(0.5);
      expect(Math.min(...image), `digit ${i}`).toBeLessThan(-0.9);
    }
  });

  it.skipIf(missing !== null)(
    `and for the other precisions and the unconditional preset: float16 fast, float32 fast-cond${runs}`,
    async () => {
      for (const [preset, q] of [
        ['fast', 'float16'],
        ['fast-cond', 'float32'],
      ] as const) {
        const dir = exportUntrained(preset, q);
        const conditional = preset === 'fast-cond';
        const ours = await generate(dir, conditional);
        expect(ours.shape).toEqual([N, 28, 28, 1]);
        const d = absDiff(Float32Array.from(ours.values), await tfjs(dir, conditional));
        console.log(`${preset} ${q}: max ${d.max.toExponential(2)}, mean ${d.mean.toExponential(2)}`);
        expect(d.max, `${preset} ${q}`).toBeLessThan(2e-5);
        expect(Math.max(...ours.values) - Math.min(...ours.values)).toBeGreaterThan(0.01); // not constant
      }
    },
  );

  it.skipIf(missing !== null)(
    `refuses a label outside the manifest's values, a changed file and a schema 2 manifest, in one line${runs}`,
    async () => {
      const label = await failure([CLIENT, MODEL, '10']);
      expect(label).toEqual({
        code: 1,
        stderr: 'gan_client: label: each value must be one of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n',
      });
      const dir = join(root, 'changed');
      cpSync(MODEL, dir, { recursive: true });
      const manifestPath = join(dir, 'manifest.json');
      const manifest = manifestV3Schema.parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
      const shard = join(dir, manifest.files[1].path);
      const bytes = readFileSync(shard);
      bytes[5] ^= 1;
      writeFileSync(shard, bytes);
      expect(await failure([CLIENT, dir, '3'])).toEqual({
        code: 1,
        stderr: `gan_client: ${manifest.files[1].path}: sha256 differs from the manifest's\n`,
      });
      const { model: _, ...v2 } = manifest;
      writeFileSync(manifestPath, JSON.stringify({ ...v2, schema: 2 }));
      expect(await failure([CLIENT, dir, '3'])).toEqual({
        code: 1,
        stderr: 'gan_client: needs a schema 3 manifest of a tfjs-layers model\n',
      });
    },
  );

  describe.skipIf(missing !== null)(`through the local worker${runs}`, () => {
    let worker: LocalWorker | undefined;
    beforeAll(async () => {
      const state = join(root, 'state');
      const store = await openLocalStore(state);
      try {
        await publishModel(store, MODEL, { promote: true });
      } finally {
        await store.close();
      }
      // The worker serves the page's build as assets; only its folder must exist here.
      if (!existsSync('web/dist/index.html'))
        spawnSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
      worker = await startLocalWorker({ persistDir: state });
    }, 300_000);
    afterAll(async () => {
      await worker?.stop();
    });

    it('loads the promoted version from the API: the same output as from the folder', async () => {
      const served = await generate(worker!.url);
      const folder = fromFolder ?? (await generate(MODEL));
      expect(served.version).toBe(folder.version);
      expect(served.values).toEqual(folder.values);
    });

    it('its command line draws the digit asked for as text', async () => {
      const { stdout } = await python([CLIENT, worker!.url, '3']);
      const lines = stdout.replace(/\n$/, '').split('\n');
      expect(lines.length).toBe(28);
      for (const line of lines) expect(line.length).toBe(56);
      expect(stdout).toMatch(/[#%@]/);
    });
  });
});
