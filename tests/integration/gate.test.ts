import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../../contract/index.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { gate } from '../../model/gate.ts';
import { selectBackend } from '../../train/backend.ts';
import { getPreset } from '../../train/models/presets.ts';
import { runCli, usageTests } from './cli-usage.ts';

const m: Metrics = {
  fid: 10,
  fidFloor: 1,
  inceptionScore: 9,
  classAccuracy: 0.95,
  precision: 0.7,
  recall: 0.4,
  classKL: 0.01,
  samples: 10000,
};

describe('gate rules', () => {
  it('thresholds', () => {
    expect(gate(m, { minClassAccuracy: 0.9, maxFid: 12 }).passed).toBe(true);
    expect(gate(m, { minClassAccuracy: 0.97 })).toEqual({
      passed: false,
      lines: ['FAIL class accuracy 0.9500 (need ≥ 0.97)'],
    });
    expect(gate(m, { maxFid: 9.9 }).passed).toBe(false);
    expect(gate({ ...m, classAccuracy: null }, { minClassAccuracy: 0.5 }).passed).toBe(false);
  });
  it('every class on its own (--min-class-accuracy-each)', () => {
    const each = [0.99, 0.99, 0.98, 0.97, 0.99, 0.99, 0.99, 0.99, 0.93, 0.96];
    expect(gate({ ...m, perClassAccuracy: each }, { minClassAccuracyEach: 0.9 }).passed).toBe(true);
    expect(gate({ ...m, perClassAccuracy: each }, { minClassAccuracyEach: 0.97 })).toEqual({
      passed: false,
      lines: ['FAIL worst class accuracy 0.9300 (digit 8; need each ≥ 0.97); below: 8: 0.9300, 9: 0.9600'],
    });
    // A manifest from before per-class accuracy was measured cannot pass the rule.
    expect(gate(m, { minClassAccuracyEach: 0.5 }).lines).toEqual([
      'FAIL per-class accuracy: not measured for this model, need each ≥ 0.5',
    ]);
  });
  it('regression against a baseline, in percent', () => {
    const baseline = { ...m, fid: 9.6, classAccuracy: 0.96 };
    expect(gate(m, { baseline, maxRegression: 5 }).passed).toBe(true); // FID +4.2 %, accuracy −1 %
    expect(gate(m, { baseline, maxRegression: 4 }).passed).toBe(false);
    expect(gate(m, { baseline: { ...m, classAccuracy: 0.99 }, maxRegression: 3 }).passed).toBe(false);
  });
});

describe('npm run gate', () => {
  const root = mkdtempSync(join(tmpdir(), 'gate-'));
  const dir = join(root, 'model');
  beforeAll(async () => {
    await selectBackend('wasm', false, () => {});
    const preset = getPreset('fast');
    let i = 0;
    const generator = preset.generator({ next: () => i++ });
    exportGenerator(generator, preset, dir, {
      quantization: 'uint8',
      metrics: { ...m, classAccuracy: null },
      training: {
        steps: 1,
        batchSize: 1,
        seconds: 1,
        backend: 'wasm',
        device: 'test',
        commit: 'test',
        runUrl: '',
      },
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const run = (args: string[]) => runCli('bin/gate.ts', args);

  it('passes, fails, and refuses a tampered model', () => {
    expect(run(['--model', dir, '--max-fid', '12']).status).toBe(0);
    const fail = run(['--model', dir, '--max-fid', '5']);
    expect(fail.status).toBe(1);
    expect(fail.stdout).toContain('FAIL FID 10.000 (need ≤ 5)');
    expect(fail.stdout).toContain('gate: FAILED');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    };
    const shard = join(dir, manifest.files[1].path);
    const bytes = readFileSync(shard);
    bytes[0] ^= 1;
    writeFileSync(shard, bytes);
    const tampered = run(['--model', dir, '--max-fid', '12']);
    expect(tampered.status).toBe(2);
    expect(tampered.stderr).toContain('does not match its manifest');
  });
});

usageTests('bin/gate.ts', {
  usage: 'npm run gate --',
  help: [
    'exit 0 passed, 1 a rule failed, 2 bad input',
    '--model <dir>',
    '--min-class-accuracy <x>',
    '--max-regression <p>',
    '(default: 0)',
  ],
  errors: [
    [['--max-fid', '1'], "required option '--model <dir>' not specified"],
    [['--model', 'm', '--max-fid', 'abc'], "--max-fid must be a non-negative number, got 'abc'"],
    [
      ['--model', 'm', '--min-class-accuracy', '1.5'],
      "--min-class-accuracy must be a number from 0 to 1, got '1.5'",
    ],
    [
      ['--model', 'm', '--min-class-accuracy-each', '-0.1'],
      '--min-class-accuracy-each must be a number from 0 to 1',
    ],
    [['--model', 'm', '--max-regression', '3'], '--max-regression needs --baseline'],
    [['--model', 'm', '--max-fid'], "option '--max-fid <x>' argument missing"],
  ],
});
