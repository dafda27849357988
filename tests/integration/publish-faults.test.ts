// Fault injection: a publish that fails at each step in turn never changes what clients get. After
// every failure the running worker still serves a complete model whose files match its manifest;
// then a re-run finishes the publish.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, manifestSchema } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { type PublishStep, publishModel } from '../../release/publish.ts';
import { getPreset } from '../../train/models/presets.ts';

const MODEL = 'model/shipped';
const root = mkdtempSync(join(tmpdir(), 'faults-'));
const persist = join(root, 'state');
const shipped = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));
let worker: LocalWorker;
let next: Manifest;
const nextDir = join(root, 'next');

beforeAll(async () => {
  const store = await openLocalStore(persist);
  await publishModel(store, MODEL, { promote: true });
  await store.close();
  // The next version: the same generator exported as float16, so every file differs.
  await tf.setBackend('cpu');
  const model = await loadLayersModelFromDir(MODEL);
  next = exportGenerator(model, getPreset(shipped.preset), nextDir, {
    quantization: 'float16',
    metrics: shipped.metrics,
    training: shipped.training,
    now: new Date('2026-12-01T00:00:00Z'),
  });
  model.dispose();
  worker = await startLocalWorker({ persistDir: persist });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** What a client gets: the manifest and every file, each checked against it. */
async function servedModel(): Promise<string> {
  const res = await fetch(`${worker.url}/v1/model`, { headers: { 'Cache-Control': 'no-cache' } });
  expect(res.status).toBe(200);
  const m = manifestSchema.parse(await res.json());
  for (const f of m.files) {
    const file = await fetch(`${worker.url}/v1/models/${m.version}/${f.path}`);
    expect(file.status, f.path).toBe(200);
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(bytes.length, f.path).toBe(f.bytes);
    expect(sha256(bytes), f.path).toBe(f.sha256);
  }
  return m.version;
}

describe('publishing under injected failures', () => {
  it('fails at each step in turn; clients keep a complete model; a re-run finishes', async () => {
    expect(next.version).not.toBe(shipped.version);
    expect(next.files.map((f) => f.sha256)).not.toEqual(shipped.files.map((f) => f.sha256));
    const steps: string[] = [];
    for (let failAt = 0; ; failAt++) {
      let k = 0;
      const seen: PublishStep[] = [];
      const store = await openLocalStore(persist);
      let failed = false;
      try {
        await publishModel(store, nextDir, {
          promote: true,
          beforeStep: (step) => {
            seen.push(step);
            if (k++ === failAt) throw new Error(`injected failure before ${step.kind}`);
          },
        });
      } catch (e) {
        failed = true;
        expect((e as Error).message).toMatch(/^injected failure/);
      } finally {
        await store.close();
      }
      if (!failed) {
        // Every step has failed once; this run went through.
        expect(failAt).toBe(steps.length);
        break;
      }
      steps.push(seen[seen.length - 1].kind);
      expect(await servedModel()).toBe(shipped.version);
    }
    expect(steps).toEqual([...next.files.map(() => 'file'), 'manifest', 'promote']);
    expect(await servedModel()).toBe(next.version);
  });
});
