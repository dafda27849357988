// `npm run evaluate` on a real (briefly trained) checkpoint, as a user runs it.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../model/artifact.ts';
import type { Report } from '../../model/evaluate/evaluate.ts';
import { BACKENDS } from '../../train/backend.ts';
import { runCli, usageTests } from './cli-usage.ts';

const root = mkdtempSync(join(tmpdir(), 'eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// Training and scoring 500 digits take minutes on this busy machine.
const run = (script: string, args: string[]) => runCli(script, args, 300_000);

describe('npm run evaluate', () => {
  it('scores a checkpoint: every metric, the floor and the real digits’ own scores, in both feature spaces', () => {
    const out = join(root, 'run');
    const t = run('bin/train.ts', [
      '--preset',
      'fast-cond',
      '--steps',
      '3',
      '--batch-size',
      '16',
      '--backend',
      'wasm',
      '--out',
      out,
      '--no-export',
    ]);
    expect(t.status).toBe(0);
    const json = join(root, 'report.json');
    const r = run('bin/evaluate.ts', ['--model', out, '--samples', '500', '--json', json]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/FID \(lower is better\)\s+[\d.]+\s+floor [\d.]+/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.preset).toBe('fast-cond');
    const m = report.metrics;
    expect(m.samples).toBe(500);
    // Three steps of training: far from real digits on every metric that should notice.
    expect(m.fid).toBeGreaterThan(10 * m.fidFloor);
    expect(m.classAccuracy!).toBeLessThan(0.5);
    expect(report.reference.classAccuracy).toBeGreaterThan(0.99);
    expect(report.reference.inceptionScore).toBeGreaterThan(9);
    for (const v of [m.precision, m.recall, m.classKL, m.inceptionScore])
      expect(Number.isFinite(v)).toBe(true);
    // The second space (the MLP classifier) sees the same untrained generator as far from real digits,
    // and real training digits as close to the test digits.
    const second = m.second!;
    expect(second.classifier).toMatch(/^mlp@[0-9a-f]{8}$/);
    expect(second.fid).toBeGreaterThan(10 * second.fidFloor);
    expect(second.fidFloor).toBeGreaterThan(0);
    expect(second.precision).toBeLessThan(report.reference.second!.precision);
    expect(report.reference.second!.recall).toBeGreaterThan(0.5);
    expect(r.stdout).toContain(`second space (${second.classifier})`);
    expect(r.stdout).toMatch(/^ {2}FID\s+[\d.]+\s+floor [\d.]+ \([\d.]+ ×\)\s*$/m);
    expect(r.stdout).toMatch(/^ {2}recall \(k=3\)\s+[\d.]+\s+[\d.]+\s*$/m);
  });

  it('npm run export writes a verified uint8 model whose manifest carries the report and the run', () => {
    const out = join(root, 'exported');
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Report;
    const r = run('bin/export.ts', [
      '--model',
      join(root, 'run'),
      '--out',
      out,
      '--report',
      join(root, 'report.json'),
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/exported \d{8}T\d{6}Z-[0-9a-f]{8} \(fast-cond, uint8, [\d,]+ bytes\)/);
    const v = verifyExport(out);
    if (!v.ok) throw new Error(v.problems.join('; '));
    expect(v.manifest.metrics).toEqual(report.metrics);
    expect(v.manifest.training).toMatchObject({ steps: 3, batchSize: 16, backend: 'wasm' });
  });

  it('scores an exported (uint8) model folder like its checkpoint', () => {
    const json = join(root, 'report-export.json');
    const r = run('bin/evaluate.ts', ['--model', join(root, 'exported'), '--samples', '500', '--json', json]);
    expect(r.status).toBe(0);
    const fromExport = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const fromCkpt = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Report;
    expect(fromExport.preset).toBe('fast-cond');
    // Same latents, weights rounded to 8 bits: the scores move a little, not a lot.
    expect(Math.abs(fromExport.metrics.fid - fromCkpt.metrics.fid)).toBeLessThan(0.1 * fromCkpt.metrics.fid);
    expect(fromExport.metrics.fid).not.toBe(fromCkpt.metrics.fid);
    expect(fromExport.metrics.fidFloor).toBe(fromCkpt.metrics.fidFloor);
    const [a, b] = [fromExport.metrics.second!, fromCkpt.metrics.second!];
    expect(Math.abs(a.fid - b.fid)).toBeLessThan(0.1 * b.fid);
    expect(a.fidFloor).toBe(b.fidFloor);
  });

  it('a model that is not there or does not match its manifest: one clear line, exit 1', () => {
    const tampered = join(root, 'tampered');
    cpSync(join(root, 'exported'), tampered, { recursive: true });
    const shard = readdirSync(tampered).find((f) => f.endsWith('.bin'))!;
    const bytes = readFileSync(join(tampered, shard));
    bytes[100] ^= 1;
    writeFileSync(join(tampered, shard), bytes);
    for (const [args, msg] of [
      [['--model', join(root, 'nowhere')], 'no model found'],
      [['--model', tampered], `the export does not match its manifest: ${shard}: sha256 does not match`],
    ] as const) {
      const r = run('bin/evaluate.ts', [...args]);
      expect(r.status).toBe(1);
      expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^error: .*/);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('npm run compare: a row per run from its report; a run without one is named (exit 2)', () => {
    cpSync(join(root, 'report.json'), join(root, 'run', 'report.json'));
    const r = run('bin/compare.ts', [join(root, 'run')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^run\s+recipe\s+steps.*FID \/ floor\s.*FID \/ floor \(2nd\)\s+precision \(2nd\)\s+recall \(2nd\)\s*$/m,
    );
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Report;
    const second = report.metrics.second!;
    // Both spaces' FID / floor (with their ratio), precision and recall, on the run's row.
    const ratio = (s: { fid: number; fidFloor: number }) =>
      `${s.fid.toFixed(2)} / ${s.fidFloor.toFixed(2)} (${(s.fid / s.fidFloor).toFixed(2)}×)`;
    const row = r.stdout.split('\n').find((l) => l.startsWith(join(root, 'run')))!;
    const cells = row.trimEnd().split(/\s{2,}/);
    expect(cells).toContain(ratio(report.metrics));
    expect(cells.slice(-3)).toEqual([ratio(second), second.precision.toFixed(3), second.recall.toFixed(3)]);
    const none = run('bin/compare.ts', [join(root, 'run'), join(root, 'exported')]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(`${join(root, 'exported', 'report.json')} not found`);
  });
});

usageTests('bin/evaluate.ts', {
  usage: 'npm run evaluate --',
  help: [
    '--model <dir>',
    '--samples <n>',
    '(default: 10000)',
    '--backend <name>',
    '--json <file>',
    '--no-ema',
  ],
  errors: [
    [[], "required option '--model <dir>' not specified"],
    [
      ['--model', 'm', '--backend', 'tpu'],
      `argument 'tpu' is invalid. Allowed choices are ${BACKENDS.join(', ')}.`,
    ],
    [['--model', 'm', '--samples', 'x'], "--samples must be an integer ≥ 100, got 'x'"],
    [['--model', 'm', '--samples', '99'], "--samples must be an integer ≥ 100, got '99'"],
    [['--model', 'm', '--seed', '-1'], "--seed must be a non-negative integer, got '-1'"],
    [['--model', 'm', 'extra'], 'too many arguments'],
  ],
});

usageTests('bin/compare.ts', {
  usage: 'npm run compare --',
  help: ['<runs...>', '--report <name>', '(default: "report.json")', '--markdown'],
  errors: [
    [[], "missing required argument 'runs'"],
    [['run', '--bogus'], "unknown option '--bogus'"],
  ],
});
