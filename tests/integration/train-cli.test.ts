// `npm run train` as a user runs it: real processes on the real digits (wasm backend), real signals.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { uniform } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { verifyExport } from '../../model/artifact.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { runCli } from './cli-usage.ts';

const root = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CLI = ['--import', 'tsx', 'bin/train.ts'];
// Small and quick, but the real loop: real digits, wasm kernels, checkpoints, samples.
// Two threads, as on this 2-core machine by default (same seed and thread count => same run).
const QUICK = [
  '--preset',
  'fast-cond',
  '--batch-size',
  '16',
  '--backend',
  'wasm',
  '--log-every',
  '1',
  '--threads',
  '2',
];

// Evaluation + export at the end of a run has its own test below; elsewhere it is skipped.
function train(args: string[], exportAtEnd = false) {
  const all = exportAtEnd ? args : [...args, '--no-export'];
  const r = spawnSync(process.execPath, [...CLI, ...all], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [...CLI, ...args, '--no-export'], { stdio: ['ignore', 'pipe', 'pipe'] });
}
const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    p.on('exit', (code, signal) => resolve({ code, signal })),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, ms = 120_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await sleep(50);
  }
}
const metricSteps = (dir: string) =>
  existsSync(join(dir, 'metrics.jsonl'))
    ? readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { step: number }).step)
    : [];
const weightsSha = (dir: string) => readCheckpoint(dir)?.state.weightsSha256;

describe('usage errors are clear and exit non-zero', () => {
  it.each([
    [['--steps', 'abc'], "--steps must be a positive integer, got 'abc'"],
    [['--steps', '0'], "--steps must be a positive integer, got '0'"],
    [['--preset', 'huge'], "argument 'huge' is invalid. Allowed choices are tutorial, fast, fast-cond"],
    [['--backend', 'tpu'], "argument 'tpu' is invalid"],
    [['--lr', '-1'], "--lr must be a positive number, got '-1'"],
    [['--beta1', '2'], '--beta1: Too big'],
    [['--resume'], '--resume needs --out <dir>'],
    [['--threads', '0'], "--threads must be a positive integer, got '0'"],
    [['--threads', '65'], '--threads: Too big'],
    [['--r1-gamma', 'x'], "--r1-gamma must be a non-negative number, got 'x'"],
    [['--anneal-from', '-3'], "--anneal-from must be a non-negative integer, got '-3'"],
    [['--seed', '1.5'], "--seed must be a non-negative integer, got '1.5'"],
    [['--batch-size', '16x'], "--batch-size must be a positive integer, got '16x'"],
    [['--max-minutes', '-5'], "--max-minutes must be a positive number, got '-5'"],
    [
      ['--steps', '10', '--anneal-from', '10', '--out', join(root, 'anneal')],
      '--anneal-from 10 needs a final step after it (--steps or --epochs), got 10',
    ],
    [
      ['--threads', '3', '--batch-size', '16', '--steps', '1', '--out', join(root, 'threads')],
      '--batch-size 16 must split into --threads 3 equal shares of at least 2 digits',
    ],
    [
      [
        '--threads',
        '2',
        '--batch-size',
        '6',
        '--mode-seeking',
        '1',
        '--steps',
        '1',
        '--out',
        join(root, 'ms'),
      ],
      'with --mode-seeking, an even number each',
    ],
    [['--d-width', '9'], '--d-width: Too big'],
    [['--bogus'], "unknown option '--bogus'"],
    // No GPU here: a run that demands one must refuse, not quietly train on the CPU.
    [
      ['--require-gpu', '--backend', 'wasm', '--steps', '1', '--out', join(root, 'gpu')],
      '--require-gpu: training would run on wasm',
    ],
    [
      ['--backend', 'tensorflow', '--steps', '1', '--out', join(root, 'tf')],
      'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded',
    ],
  ])('%j', (args, message) => {
    const r = train(args);
    expect(r.code).not.toBe(0);
    // One line says what is wrong, and it is the last (anything before it is the backend's log).
    expect(r.err.trimEnd().split('\n').at(-1)).toMatch(/^error: /);
    expect(r.err.trimEnd().split('\n').at(-1)).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a wrong call exits 2; --help lists every option with its default', () => {
    expect(train(['--preset', 'huge']).code).toBe(2);
    expect(train(['--steps', 'x']).code).toBe(2);
    const help = runCli('bin/train.ts', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run train -- \[options\]/);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const part of [
      '--preset <name>',
      'default: "fast-cond"',
      '--batch-size <n> digits per step (default: 64)',
      '--no-export',
    ])
      expect(text).toContain(part);
  });

  it('refuses to overwrite a run, and --resume of nothing', () => {
    const dir = join(root, 'exists');
    expect(train([...QUICK, '--steps', '1', '--out', dir]).code).toBe(0);
    const again = train([...QUICK, '--steps', '1', '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('already holds a run (step 1); pass --resume or another --out');
    const none = train([...QUICK, '--resume', '--out', join(root, 'nothing')]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('--resume: no checkpoint in');
    const mismatch = train(['--resume', '--out', dir, '--preset', 'fast']);
    expect(mismatch.err).toContain('--resume: --preset fast differs from the checkpoint');
  });
});

describe('a run, interrupted and resumed, equals the same run uninterrupted', () => {
  const steps = 10;
  const args = (out: string, seed = 7) => [
    ...QUICK,
    '--steps',
    String(steps),
    '--seed',
    String(seed),
    '--out',
    out,
  ];

  it('writes metrics, samples, a loss chart and a checkpoint; same seed ⇒ same weights', () => {
    const a = join(root, 'a');
    const r = train([...args(a), '--sample-every', '5']);
    expect(r.code).toBe(0);
    // Not a terminal: plain progress lines.
    expect(r.out).toMatch(/step 10\/10 \| D [\d.]+ G [\d.]+ .* steps\/s \| ETA/);
    expect(r.out).toContain('finished at step 10/10');
    expect(metricSteps(a)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(readdirSync(join(a, 'samples')).sort()).toEqual(['step-000005.png', 'step-000010.png']);
    const png = PNG.sync.read(readFileSync(join(a, 'samples', 'step-000010.png')));
    expect([png.width, png.height]).toEqual([(8 * 30 + 2) * 2, (10 * 30 + 2) * 2]); // 10 rows: one per class
    expect(readFileSync(join(a, 'losses.svg'), 'utf8')).toContain('<polyline');
    expect(readCheckpoint(a)?.state.step).toBe(10);

    const b = join(root, 'b');
    expect(train(args(b)).code).toBe(0);
    expect(weightsSha(b)).toBe(weightsSha(a));
    const c = join(root, 'c');
    expect(train(args(c, 8)).code).toBe(0);
    expect(weightsSha(c)).not.toBe(weightsSha(a));
  });

  // The interrupted runs get a budget no machine finishes while the test waits, so when the signal
  // lands does not decide what is tested. (That an interrupted run resumes bit for bit is tested
  // in-process, interrupted at an exact step: train-loop.test.ts.)
  const endless = (out: string) => [
    ...QUICK,
    '--steps',
    '1000000',
    '--out',
    out,
    '--checkpoint-every',
    '100',
  ];

  it('SIGINT saves a checkpoint at the step it reports and exits 130; --resume continues from it', async () => {
    const d = join(root, 'd');
    const p = start(endless(d));
    let out = '';
    p.stdout?.on('data', (b) => {
      out += b;
    });
    await waitFor(() => metricSteps(d).length >= 3);
    p.kill('SIGINT');
    const { code } = await exited(p);
    expect(code).toBe(130);
    const saved = readCheckpoint(d)!.state.step;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(out).toContain(`interrupted at step ${saved}/1000000`);
    expect(out).toContain(`resume with: npm run train -- --out ${d} --resume`);
    const r = train(['--out', d, '--resume', '--steps', String(saved + 2), '--log-every', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resumed from`);
    expect(readCheckpoint(d)!.state.step).toBe(saved + 2);
    expect(metricSteps(d)).toEqual(Array.from({ length: saved + 2 }, (_, i) => i + 1));
  });

  it('Ctrl-C through `npm run train` (SIGINT to the whole process group) saves and exits', async () => {
    const d = join(root, 'npm');
    const p = spawn('npm', ['run', 'train', '--', ...endless(d), '--no-export'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout?.on('data', (b) => {
      out += b;
    });
    await waitFor(() => metricSteps(d).length >= 2);
    process.kill(-(p.pid as number), 'SIGINT');
    const { code, signal } = await exited(p);
    expect(out).toContain('interrupted at step');
    // npm re-raises the interrupt on itself once the script has exited (130).
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(out).toContain(`interrupted at step ${readCheckpoint(d)!.state.step}/1000000`);
  });
});

describe('SIGKILL at any moment never leaves a checkpoint that fails to load', () => {
  it('kills a run 6 times at random moments, resuming each time', async () => {
    // The moments come from a seed, printed on failure; KILL_SEED=<seed> replays its schedule.
    const seed = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const delays = Array.from({ length: 6 }, uniform(seed)).map((u) => Math.floor(u * 400));
    onTestFailed(() =>
      console.error(`random-kill schedule: KILL_SEED=${seed} (delays ${delays.join(', ')} ms)`),
    );
    const dir = join(root, 'kill');
    const base = [...QUICK, '--batch-size', '8', '--steps', '400', '--checkpoint-every', '1', '--out', dir];
    let resume = false;
    for (let i = 0; i < 6; i++) {
      const p = start(resume ? ['--out', dir, '--resume', '--checkpoint-every', '1'] : base);
      const before = readCheckpoint(dir)?.state.step ?? 0;
      // Wait for training to be under way, then kill somewhere inside the next few steps.
      await waitFor(() => (readCheckpoint(dir)?.state.step ?? 0) > before);
      await sleep(delays[i]);
      p.kill('SIGKILL');
      await exited(p);
      const ckpt = readCheckpoint(dir); // verifies sha256 and sizes
      expect(ckpt).not.toBeNull();
      expect(ckpt!.state.step).toBeGreaterThan(before);
      resume = true;
    }
    // The last checkpoint still loads into a real run.
    const r = train(['--out', dir, '--resume', '--max-minutes', '0.05']);
    // Out of minutes before step 400 exits 75 (continue it); at 400 the run is done.
    expect(r.code).toBe(readCheckpoint(dir)!.state.step < 400 ? 75 : 0);
    const steps = metricSteps(dir);
    expect(new Set(steps).size).toBe(steps.length); // no step logged twice across resumes
  });
});

describe('the end of a run', () => {
  it('evaluates and exports the final checkpoint by default (uint8, verified), --no-export skips it', () => {
    const dir = join(root, 'exported-run');
    const r = train([...QUICK, '--steps', '2', '--eval-samples', '200', '--out', dir], true);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/FID \(lower is better\)/);
    expect(r.out).toContain(`to ${join(dir, 'export')}`);
    const v = verifyExport(join(dir, 'export'));
    if (!v.ok) throw new Error(v.problems.join('; '));
    expect(v.manifest).toMatchObject({ quantization: 'uint8', preset: 'fast-cond', training: { steps: 2 } });
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).metrics).toEqual(v.manifest.metrics);
    expect(existsSync(join(root, 'a', 'export'))).toBe(false);
  });

  it('out of --max-minutes before --steps: no evaluation or export of the unfinished run, exit 75, how to continue', () => {
    const dir = join(root, 'out-of-time');
    const r = train([...QUICK, '--steps', '100000', '--max-minutes', '0.02', '--out', dir], true);
    expect(r.code).toBe(75);
    const step = readCheckpoint(dir)!.state.step;
    expect(r.out).toContain(`stopped at the time limit at step ${step}/100000`);
    expect(r.out).toContain(`resume with: npm run train -- --out ${dir} --resume`);
    expect(existsSync(join(dir, 'export'))).toBe(false);
  });
});

describe('divergence', () => {
  it('a NaN loss stops the run with a clear message and leaves the last checkpoint untouched', () => {
    const dir = join(root, 'nan');
    expect(train([...QUICK, '--steps', '2', '--out', dir]).code).toBe(0);
    // Poison one generator weight in the (otherwise valid) checkpoint, as a blow-up would.
    const ck = join(dir, 'checkpoint');
    const weights = readFileSync(join(ck, 'weights.bin'));
    const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8'));
    const gSize = (state.sections.generator as { shape: number[] }[])
      .map((t) => t.shape.reduce((a, b) => a * b, 1))
      .reduce((a, b) => a + b, 0);
    new Float32Array(weights.buffer, weights.byteOffset, gSize).fill(Number.NaN);
    state.weightsSha256 = sha256(weights);
    state.config.steps = 5;
    writeFileSync(join(ck, 'weights.bin'), weights);
    writeFileSync(join(ck, 'state.json'), JSON.stringify(state));
    const before = [readFileSync(join(ck, 'weights.bin')), readFileSync(join(ck, 'state.json'))];

    const r = train(['--out', dir, '--resume']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('training diverged: D loss NaN, G loss NaN at step 3');
    expect(r.err).toContain('the last good checkpoint (step 2)');
    expect(readFileSync(join(ck, 'weights.bin')).equals(before[0])).toBe(true);
    expect(readFileSync(join(ck, 'state.json')).equals(before[1])).toBe(true);
  });
});
