// `npm run evaluate` on a real (briefly trained) checkpoint, as a user runs it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../train/evaluate/evaluate.ts';
import { verifyExport } from '../../train/export/export.ts';

const root = mkdtempSync(join(tmpdir(), 'eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 300_000 });

describe('npm run evaluate', () => {
  it('scores a checkpoint: every metric, the floor and the real digits’ own scores', () => {
    const out = join(root, 'run');
    const t = run('train/cli.ts', [
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
    const r = run('train/evaluate/cli.ts', ['--model', out, '--samples', '500', '--json', json]);
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
  });

  it('npm run export writes a verified uint8 model whose manifest carries the report and the run', () => {
    const out = join(root, 'exported');
    const report = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Report;
    const r = run('train/export/cli.ts', [
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
    for (const [args, msg] of [
      [['--model', join(root, 'run')], '--model and --out are required'],
      [
        ['--model', join(root, 'run'), '--out', out, '--quantize', 'int4'],
        "--quantize must be one of uint8, float16, float32, got 'int4'",
      ],
    ] as const) {
      const bad = run('train/export/cli.ts', [...args]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain(msg);
    }
  });

  it('scores an exported (uint8) model folder like its checkpoint', () => {
    const json = join(root, 'report-export.json');
    const r = run('train/evaluate/cli.ts', [
      '--model',
      join(root, 'exported'),
      '--samples',
      '500',
      '--json',
      json,
    ]);
    expect(r.status).toBe(0);
    const fromExport = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const fromCkpt = JSON.parse(readFileSync(join(root, 'report.json'), 'utf8')) as Report;
    expect(fromExport.preset).toBe('fast-cond');
    // Same latents, weights rounded to 8 bits: the scores move a little, not a lot.
    expect(Math.abs(fromExport.metrics.fid - fromCkpt.metrics.fid)).toBeLessThan(0.1 * fromCkpt.metrics.fid);
    expect(fromExport.metrics.fid).not.toBe(fromCkpt.metrics.fid);
    expect(fromExport.metrics.fidFloor).toBe(fromCkpt.metrics.fidFloor);
  });

  it('bad input: one clear line, no stack', () => {
    const tampered = join(root, 'tampered');
    cpSync(join(root, 'exported'), tampered, { recursive: true });
    const shard = readdirSync(tampered).find((f) => f.endsWith('.bin'))!;
    const bytes = readFileSync(join(tampered, shard));
    bytes[100] ^= 1;
    writeFileSync(join(tampered, shard), bytes);
    for (const [args, msg] of [
      [[], '--model is required'],
      [['--model', join(root, 'nowhere')], 'no model found'],
      [['--model', tampered], `the export does not match its manifest: ${shard}: sha256 does not match`],
      [['--model', join(root, 'run'), '--samples', 'x'], "--samples must be an integer ≥ 100, got 'x'"],
    ] as const) {
      const r = run('train/evaluate/cli.ts', [...args]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
