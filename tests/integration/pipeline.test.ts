// `npm run pipeline` on real (short) runs: every stage records what it did, a failed publish is
// re-run from its stage and uploads the same version, a refused gate has its own exit code and
// stops before publishing, and a run folder is continued rather than retrained.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestSchema, r2Keys } from '../../contract/index.ts';
import { changedOutputs, GATE_REFUSED_EXIT, readRecord, readResult, STAGES } from '../../pipeline/records.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { usageTests } from './cli-usage.ts';

const root = mkdtempSync(join(tmpdir(), 'pipeline-'));
const run = join(root, 'run');
const persist = join(root, 'state');
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Tiny but real: the MNIST digits, every stage, the local R2.
const QUICK = ['--steps', '4', '--train-digits', '512', '--batch-size', '16', '--log-every', '2'];
const pipeline = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/pipeline.ts', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });

async function storeState() {
  const store = await openLocalStore(persist);
  try {
    const latest = await store.get(r2Keys.latest);
    const keys = await store.list('models/');
    return {
      promoted: latest ? manifestSchema.parse(JSON.parse(new TextDecoder().decode(latest))).version : null,
      versions: [...new Set(keys.map((k) => k.split('/')[1]))].sort(),
    };
  } finally {
    await store.close();
  }
}

describe('npm run pipeline', () => {
  it('runs every stage, records each, and promotes the model into the local R2', async () => {
    const r = pipeline(...QUICK, '--eval-samples', '100', '--no-gate', '--out', run, '--persist-to', persist);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.status).toBe(0);
    for (const [i, stage] of STAGES.entries()) {
      expect(r.stdout).toContain(`── stage ${i + 1} of ${STAGES.length}: ${stage}`);
      expect(r.stdout).toMatch(new RegExp(`stage ${stage}: done in \\d+m\\d+s`));
      const record = readRecord(run, stage);
      expect(record?.status).toBe('done');
      // What each stage wrote is recorded with its hash, and is still what it wrote.
      expect(changedOutputs(run, record?.outputs ?? [])).toEqual([]);
    }
    expect(readRecord(run, 'train')?.outputs.map((o) => o.path)).toContain('checkpoint/state.json');
    const trained = readResult(run, 'train')!.result;
    expect(trained).toMatchObject({ status: 'finished', step: 4, preset: 'fast-cond', batchSize: 16 });
    // Which backend ran, and why the routes before it were skipped, as facts (the job summary's source).
    expect(trained.routes.at(-1)).toEqual({ route: trained.backend.name, used: true });
    expect(trained.routes.slice(0, -1).every((route) => !route.used && route.why)).toBe(true);
    const version = readResult(run, 'export')!.result.version;
    expect(readResult(run, 'gate')!.result).toMatchObject({ version, skipped: true });
    expect(readResult(run, 'publish')!.result).toMatchObject({ version, target: 'local', promoted: true });
    expect(await storeState()).toEqual({ promoted: version, versions: [version] });
  });

  it('a publish that failed is re-run from its stage: the same version, no retraining', async () => {
    const version = readResult(run, 'export')!.result.version;
    const trainRecord = readFileSync(join(run, 'pipeline', 'train.json'), 'utf8');
    // The store cannot be opened: a file stands where its folder should be.
    const blocked = join(root, 'blocked');
    writeFileSync(blocked, 'not a folder');
    const failed = pipeline('--out', run, '--from', 'publish', '--persist-to', join(blocked, 'state'));
    expect(failed.status).toBe(1);
    expect(failed.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          // The same flags, --persist-to among them: the next command is this one with the store fixed.
          `^error: stage publish failed: .* \\(run folder kept: ${run}; continue with: npm run pipeline -- --persist-to ${blocked}/state --out ${run} --from publish\\)`,
        ),
      ),
    ]);
    expect(readRecord(run, 'publish')).toMatchObject({ status: 'failed', error: expect.any(String) });

    const again = pipeline('--out', run, '--from', 'publish', '--persist-to', persist);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('── stage 1 of 1: publish');
    expect(readResult(run, 'publish')!.result).toMatchObject({ version, promoted: true });
    expect(await storeState()).toEqual({ promoted: version, versions: [version] });
    expect(readFileSync(join(run, 'pipeline', 'train.json'), 'utf8')).toBe(trainRecord);
  });

  it('a refused gate exits 10 and publishes nothing; publishing after it is refused too', async () => {
    const published = readFileSync(join(run, 'pipeline', 'publish.json'), 'utf8');
    const r = pipeline('--out', run, '--from', 'gate', '--max-fid', '1', '--persist-to', persist);
    expect(r.status).toBe(GATE_REFUSED_EXIT);
    expect(r.stdout).toMatch(/FAIL FID .* \(need ≤ 1\)/);
    expect(r.stdout).not.toContain('stage 2 of 2: publish');
    expect(readRecord(run, 'gate')?.status).toBe('refused');
    expect(readFileSync(join(run, 'pipeline', 'publish.json'), 'utf8')).toBe(published);

    const forced = pipeline('--out', run, '--stages', 'publish', '--persist-to', persist);
    expect(forced.status).toBe(1);
    expect(forced.stderr).toContain(
      `stage publish failed: the gate refused ${readResult(run, 'export')!.result.version}`,
    );
  });

  it('a run limited by --max-minutes alone ends there and goes on to the next stage (exit 0, not 75)', () => {
    const dir = join(root, 'timed');
    const timed = QUICK.filter((_, i) => QUICK[i] !== '--steps' && QUICK[i - 1] !== '--steps');
    const r = pipeline(
      ...timed,
      '--max-minutes',
      '0.02',
      '--eval-samples',
      '100',
      '--out',
      dir,
      '--stages',
      'train,evaluate',
    );
    expect(r.stderr).not.toMatch(/^error|stopped at step/m);
    expect(r.status).toBe(0);
    const trained = readResult(dir, 'train')!.result;
    expect(trained.status).toBe('time-limit');
    expect(trained.step).toBeGreaterThan(0);
    expect(readRecord(dir, 'evaluate')?.status).toBe('done');
  });

  it('continues a run folder: training resumes from its checkpoint to the new budget', () => {
    const r = pipeline(...QUICK, '--steps', '6', '--out', run, '--stages', 'train');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`continuing the run in ${run} from its checkpoint`);
    expect(r.stdout).toContain('resumed from');
    expect(readResult(run, 'train')!.result).toMatchObject({ step: 6, status: 'finished' });
    // The evaluation scored the older checkpoint: the stage that needs it says so.
    const stale = pipeline('--out', run, '--stages', 'export');
    expect(stale.status).toBe(2);
    expect(stale.stderr).toContain(
      "the evaluate stage's result predates the train stage's last run: run it again (--from evaluate)",
    );
  });

  it('Ctrl-C finishes the step, saves a checkpoint, exits 130, and the same command continues', async () => {
    const dir = join(root, 'interrupted');
    const args = [
      ...QUICK,
      '--steps',
      '400',
      '--checkpoint-every',
      '1000',
      '--out',
      dir,
      '--stages',
      'train',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/pipeline.ts', ...args], { stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/step \d+\/400/.test(out) && !child.killed) child.kill('SIGINT');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(err).toContain('interrupt: finishing the current step, saving a checkpoint');
    expect(err).toMatch(
      new RegExp(
        `stage train interrupted at step \\d+; .*npm run pipeline -- ${QUICK.join(' ')} --steps 400 --checkpoint-every 1000 --out ${dir} --stages train$`,
        'm',
      ),
    );
    const stopped = readRecord(dir, 'train');
    expect(stopped).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^interrupted at step \d+/),
    });
    const again = pipeline(...QUICK, '--steps', '20', '--out', dir, '--stages', 'train');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('resumed from');
    expect(readResult(dir, 'train')!.result).toMatchObject({ step: 20, status: 'finished' });
  });

  it('a stage without what it needs says which stage to run (exit 2)', () => {
    const empty = join(root, 'empty');
    const r = pipeline('--out', empty, '--from', 'export');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('the export stage needs the evaluate stage');
    expect(r.stderr).toContain('run it first (--from evaluate)');
  });
});

usageTests('bin/pipeline.ts', {
  usage: 'npm run pipeline --',
  help: [
    '--from <stage>',
    '--stages <list>',
    '--target <name>',
    '--no-gate',
    '--max-fid <x>',
    '--preset <name>',
  ],
  errors: [
    [['--from', 'deploy'], "option '--from <stage>' argument 'deploy' is invalid"],
    [['--from', 'gate', '--stages', 'gate'], 'give --from or --stages, not both'],
    [['--stages', 'evaluate,export'], '--out <dir> is required'],
    [['--target', 's3'], "argument 's3' is invalid"],
    [['--max-fid', '-1'], '--max-fid must be a non-negative number'],
  ],
});
