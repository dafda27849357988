// `npm run train -- --backend webgpu` as a user runs it, on the software adapter here (SwiftShader:
// slow, so the run is short): one run that starts on wasm, continues on WebGPU from wasm's checkpoint
// and goes back to wasm from WebGPU's, against the same run on wasm throughout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { vulkanForTests } from '../webgpu-env.ts';

const skip = vulkanForTests();
const root = mkdtempSync(join(tmpdir(), 'webgpu-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const QUICK = [
  '--preset',
  'fast-cond',
  '--batch-size',
  '8',
  '--train-digits',
  '256',
  '--seed',
  '5',
  '--threads',
  '1',
  '--log-every',
  '1',
  '--sample-every',
  '2',
  '--checkpoint-every',
  '2',
  '--no-export',
];

function train(out: string, backend: string, steps: number, resume: boolean) {
  const args = [...QUICK, '--out', out, '--backend', backend, '--steps', String(steps)];
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bin/train.ts', ...args, ...(resume ? ['--resume'] : [])],
    { encoding: 'utf8', timeout: 300_000 },
  );
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return `${r.stdout}${r.stderr}`;
}

interface Metric {
  step: number;
  dLoss: number;
  gLoss: number;
}
const metrics = (dir: string): Metric[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Metric);

describe.skipIf(skip !== null)('training on WebGPU', () => {
  it('a run continues on WebGPU from a wasm checkpoint and on wasm from a WebGPU one, tracking the wasm run', () => {
    const reference = join(root, 'wasm');
    train(reference, 'wasm', 6, false);

    const mixed = join(root, 'mixed');
    train(mixed, 'wasm', 2, false);
    const before = readCheckpoint(mixed)!.state;
    const onGpu = train(mixed, 'webgpu', 4, true);
    expect(onGpu).toMatch(/^backend: WebGPU adapter: WebGPU \(Dawn\): .+ adapter$/m);
    expect(onGpu).toContain(
      'note: the checkpoint was trained on wasm; continuing on webgpu (not bit-identical)',
    );
    expect(onGpu).toContain('finished at step 4/4');
    const gpuState = readCheckpoint(mixed)!.state;
    expect(gpuState).toMatchObject({ step: 4, backend: 'webgpu' });
    expect(gpuState.device).toMatch(/^WebGPU \(Dawn\): /);
    expect(gpuState.weightsSha256).not.toBe(before.weightsSha256);
    // Inference on WebGPU too: the sample grid of step 4.
    expect(existsSync(join(mixed, 'samples', 'step-000004.png'))).toBe(true);

    const back = train(mixed, 'wasm', 6, true);
    expect(back).toContain(
      'note: the checkpoint was trained on webgpu; continuing on wasm (not bit-identical)',
    );
    expect(readCheckpoint(mixed)!.state).toMatchObject({ step: 6, backend: 'wasm' });

    // Same seed, data and recipe: every step's losses, WebGPU's included, track the wasm run's
    // (float rounding differs between backends, and Adam can amplify it; the measured gap is printed).
    const ref = metrics(reference);
    const got = metrics(mixed);
    expect(got.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const gap = Math.max(
      ...got.flatMap((m, i) => [Math.abs(m.dLoss - ref[i].dLoss), Math.abs(m.gLoss - ref[i].gLoss)]),
    );
    console.log(`largest loss gap to the wasm run over 6 steps (2 on WebGPU): ${gap.toExponential(2)}`);
    expect(gap).toBeLessThan(1e-3);
    // The losses move on WebGPU.
    expect(got[3].dLoss).not.toBe(got[2].dLoss);
    expect(got[3].gLoss).not.toBe(got[2].gLoss);
    // Steps 1-2 ran on wasm in both runs, bit for bit.
    expect(got.slice(0, 2)).toEqual(
      ref.slice(0, 2).map((m) => expect.objectContaining({ dLoss: m.dLoss, gLoss: m.gLoss })),
    );
  });
});
