// The workflows, checked by GitHub's own parser and run here: train.yml's GPU job runs its pipeline
// step (a CPU stand-in for the GPU, a short budget), its artifact goes to the publish job, which
// publishes through the real R2 code path to a loopback S3 stand-in; a re-run publishes the same
// version; a worse model is published unpromoted and the job stays green; a refused gate fails the
// job and publishes nothing; the smoke mode's GPU check says which route works and why not.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { manifestSchema, r2Keys, retrainRequestSchema, workflowInputs } from '../../contract/index.ts';
import { readRecord, readResult } from '../../pipeline/records.ts';
import { readCheckpoint } from '../../train/checkpoint.ts';
import { vulkanForTests } from '../webgpu-env.ts';
import {
  type Contexts,
  condition,
  findStep,
  jobEnv,
  loadWorkflow,
  runStep,
  workflowErrors,
} from '../workflow-steps.ts';
import { type S3StandIn, startS3StandIn } from './s3-stand-in.ts';

const WORKFLOWS = '.github/workflows';
const train = loadWorkflow(join(WORKFLOWS, 'train.yml'));
const RUN_ID = `${process.pid}${Date.now() % 100_000}`;
const R2 = { bucket: 'models-bucket', accessKeyId: 'test-key', secretAccessKey: 'test-secret' };
let s3: S3StandIn;

/** What GitHub puts in the contexts for a run of train.yml. */
function contexts(
  event: 'schedule' | 'workflow_dispatch',
  inputs: Record<string, unknown> = {},
  runId = RUN_ID,
): Contexts {
  const declared = (train.on.workflow_dispatch as { inputs: Record<string, { default?: unknown }> }).inputs;
  const defaults = Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, v.default ?? '']));
  return {
    github: {
      event_name: event,
      run_id: runId,
      run_attempt: '1',
      repository: 'o/r',
      server_url: 'https://github.com',
    },
    // A scheduled run has no inputs: every `inputs.x` is null there.
    inputs: event === 'schedule' ? {} : { ...defaults, ...inputs },
    vars: { GPU_RUNNER_LABEL: 'gpu', MODEL_API_URL: 'https://gan.example.workers.dev' },
    secrets: {
      R2_ACCOUNT_ID: 'acct',
      R2_ACCESS_KEY_ID: R2.accessKeyId,
      R2_SECRET_ACCESS_KEY: R2.secretAccessKey,
      R2_BUCKET: R2.bucket,
    },
    steps: {},
    needs: {},
  };
}

/**
 * Which jobs of train.yml start for an event when every job succeeds: their `if:`s evaluated by
 * GitHub's expression package, and a job whose needs did not run is skipped, as GitHub skips it.
 */
function jobsThatRun(c: Contexts): string[] {
  const ran: string[] = [];
  for (const [id, job] of Object.entries(train.jobs)) {
    const needs = job.needs === undefined ? [] : [job.needs].flat();
    if (needs.every((n) => ran.includes(n)) && condition(job.if, c)) ran.push(id);
  }
  return ran;
}

// The GPU job's pipeline step on this CPU: the wasm backend, a few real MNIST steps, a small evaluation.
const CPU_FOR_GPU =
  '--backend wasm --threads 1 --train-digits 512 --batch-size 16 --log-every 2 --eval-samples 100';
const LOOSE_GATE = '--max-fid 100000 --min-class-accuracy 0 --min-class-accuracy-each 0';

function runDir(c: Contexts): string {
  return jobEnv(train, 'train', c).RUN_DIR;
}

/** What upload-artifact keeps of the GPU job's run folder (no hidden files), for the publish job. */
let artifact = '';
function uploadArtifact(dir: string): void {
  artifact = mkdtempSync(join(tmpdir(), 'artifact-'));
  cpSync(dir, artifact, { recursive: true, filter: (src) => !src.split('/').pop()!.startsWith('.') });
}
/** download-artifact on a fresh runner: the run folder is the artifact, nothing else. */
function downloadArtifact(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  cpSync(artifact, dir, { recursive: true });
}

const s3Env = () => ({ R2_ENDPOINT: s3.url });
const promoted = () => {
  const latest = s3.objects.get(r2Keys.latest);
  return latest ? manifestSchema.parse(JSON.parse(latest.toString('utf8'))).version : null;
};
const versions = () => [
  ...new Set([...s3.objects.keys()].filter((k) => k.startsWith('models/')).map((k) => k.split('/')[1])),
];

beforeAll(async () => {
  s3 = await startS3StandIn(R2);
});
afterAll(async () => {
  await s3?.close();
  if (artifact) rmSync(artifact, { recursive: true, force: true });
  rmSync(runDir(contexts('workflow_dispatch')), { recursive: true, force: true });
});

describe('the workflows', () => {
  it("pass GitHub's own parser; a broken one does not", async () => {
    for (const f of readdirSync(WORKFLOWS)) {
      expect(workflowErrors(f, readFileSync(join(WORKFLOWS, f), 'utf8')), f).toEqual([]);
    }
    const broken = readFileSync(join(WORKFLOWS, 'train.yml'), 'utf8').replace(
      'runs-on: ubuntu-latest',
      'runs_on: ubuntu-latest',
    );
    expect(workflowErrors('broken.yml', broken).length).toBeGreaterThan(0);
  });

  it('every action is pinned by its full commit SHA, its version in a comment; Dependabot keeps them current', async () => {
    for (const f of readdirSync(WORKFLOWS)) {
      for (const line of readFileSync(join(WORKFLOWS, f), 'utf8')
        .split('\n')
        .filter((l) => /\buses:/.test(l))) {
        expect(line, `${f}: ${line.trim()}`).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
      }
    }
    const dependabot = parseYaml(readFileSync('.github/dependabot.yml', 'utf8')) as {
      updates: { 'package-ecosystem': string }[];
    };
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });

  it("train.yml's dispatch inputs are retrainRequestSchema's fields, choices and defaults", async () => {
    const inputs = (train.on.workflow_dispatch as { inputs: Record<string, Record<string, unknown>> }).inputs;
    const shape = retrainRequestSchema.shape;
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(shape).sort());
    const defaults = retrainRequestSchema.parse({});
    for (const key of ['mode', 'preset', 'quantization'] as const) {
      expect(inputs[key].options).toEqual(shape[key].unwrap().options);
      expect(inputs[key].default).toBe(defaults[key]);
    }
    expect(inputs.publish).toMatchObject({ type: 'boolean', default: defaults.publish });
    expect(inputs.force).toMatchObject({ type: 'boolean', default: defaults.force });
    expect(inputs.steps).toMatchObject({ type: 'string', required: false });
    // Whatever the worker sends is something the workflow declares.
    for (const k of Object.keys(workflowInputs(retrainRequestSchema.parse({ steps: 10 }))))
      expect(Object.keys(inputs)).toContain(k);
  });

  it('which jobs start: weekly and full runs train and publish; smoke runs only the checks; publish off skips publishing', async () => {
    expect(jobsThatRun(contexts('schedule'))).toEqual(['preflight', 'train', 'publish']);
    expect(jobsThatRun(contexts('workflow_dispatch'))).toEqual(['preflight', 'train', 'publish']);
    expect(jobsThatRun(contexts('workflow_dispatch', { mode: 'smoke' }))).toEqual([
      'preflight',
      'smoke-host',
      'smoke',
    ]);
    expect(jobsThatRun(contexts('workflow_dispatch', { publish: false }))).toEqual(['preflight', 'train']);
    // The defaults a scheduled run (no inputs) falls back on.
    expect(jobEnv(train, 'train', contexts('schedule'))).toMatchObject({
      PRESET: 'fast-cond',
      STEPS: '30000',
      RECIPE: '--r1-gamma 1 --d-width 2',
      QUANTIZATION: 'uint8',
    });
    expect(jobEnv(train, 'train', contexts('workflow_dispatch', { steps: '300' })).STEPS).toBe('300');
    // A runner too slow for the default budget: the repository variable sets the scheduled runs' steps.
    const slowRunner = { ...contexts('schedule'), vars: { GPU_RUNNER_LABEL: 'gpu', TRAIN_STEPS: '12000' } };
    expect(jobEnv(train, 'train', slowRunner).STEPS).toBe('12000');
    // Training's own limit leaves the job time to install before it and to evaluate and upload after it.
    expect(Number(jobEnv(train, 'train', contexts('schedule')).TRAIN_MINUTES)).toBeLessThanOrEqual(
      (train.jobs.train['timeout-minutes'] ?? 360) - 45,
    );
  });
});

describe('train.yml, run here', () => {
  const c = contexts('workflow_dispatch', { steps: '4' });

  it('the GPU job: its pipeline step trains, evaluates, exports and gates; a refused gate fails it', async () => {
    const refused = await runStep(train, 'train', 'pipeline', {
      contexts: c,
      overrides: { GPU_FLAGS: CPU_FOR_GPU },
    });
    expect(refused.status).toBe(10);
    expect(readRecord(runDir(c), 'gate')?.status).toBe('refused');
    // The job summary (always) says so, from the records.
    const summary = await runStep(train, 'train', 'Job summary', { contexts: c });
    expect(summary.status).toBe(0);
    expect(summary.summary).toContain('| gate | refused |');
    expect(summary.summary).toContain('| publish | not run | | |');

    const passed = await runStep(train, 'train', 'pipeline', {
      contexts: c,
      overrides: { GPU_FLAGS: `${CPU_FOR_GPU} ${LOOSE_GATE}` },
    });
    expect(passed.stderr).not.toMatch(/^error/m);
    expect(passed.status).toBe(0);
    expect(passed.stdout).toContain('continuing the run');
    expect(readResult(runDir(c), 'gate')?.result.passed).toBe(true);
    expect(existsSync(join(runDir(c), 'pipeline', 'publish.json'))).toBe(false);
    // The run trained the shipped recipe, annealed as the shipped model was: from a third, restarting at two thirds.
    expect(JSON.parse(readFileSync(join(runDir(c), 'config.json'), 'utf8'))).toMatchObject({
      steps: 4,
      r1Gamma: 1,
      dWidth: 2,
      annealFrom: 1,
      annealRestart: 2,
    });
    uploadArtifact(runDir(c));
  });

  it('the GPU job: training out of TRAIN_MINUTES stops with a checkpoint and fails the step, saying how far it got; nothing after it runs', async () => {
    const slow = contexts('workflow_dispatch', { steps: '5000' }, `${RUN_ID}9`);
    const dir = runDir(slow);
    try {
      const r = await runStep(train, 'train', 'pipeline', {
        contexts: slow,
        overrides: { GPU_FLAGS: `${CPU_FOR_GPU} ${LOOSE_GATE}`, TRAIN_MINUTES: '0.05' },
      });
      expect(r.status).toBe(75);
      const saved = readCheckpoint(dir)!.state.step;
      expect(saved).toBeLessThan(5000);
      expect(r.stderr).toContain(
        `stage train stopped at step ${saved} of 5000: --max-minutes ran out; the checkpoint is saved, and running the same command again continues it (run folder: ${dir})`,
      );
      expect(readRecord(dir, 'train')?.status).toBe('failed');
      expect(readRecord(dir, 'evaluate')).toBeNull();
      const summary = await runStep(train, 'train', 'Job summary', { contexts: slow });
      expect(summary.summary).toMatch(
        new RegExp(`\\| train \\| failed \\| [\\d.]+ s \\| failed: stopped at step ${saved} of 5000`),
      );
      expect(summary.summary).toContain('| evaluate | not run | | |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the GPU job: steps that are not a whole number fail its pipeline step at once, saying so', async () => {
    const bad = contexts('workflow_dispatch', { steps: '8e3' });
    const r = await runStep(train, 'train', 'pipeline', {
      contexts: bad,
      overrides: { GPU_FLAGS: CPU_FOR_GPU },
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(
      "::error title=Bad input::steps must be a whole number of training steps, got '8e3'",
    );
    // Nothing ran: the run folder of the test before is as it was.
    expect(JSON.parse(readFileSync(join(runDir(bad), 'config.json'), 'utf8')).steps).toBe(4);
  });

  it('the publish job: publishes the artifact to R2 and promotes it; re-run, the same version; a worse model stays unpromoted', async () => {
    downloadArtifact(runDir(c));
    const version = readResult(runDir(c), 'export')!.result.version;
    const first = await runStep(train, 'publish', 'publish', { contexts: c, extraEnv: s3Env() });
    expect(first.stderr).not.toMatch(/^error/m);
    expect(first.status).toBe(0);
    expect(promoted()).toBe(version);
    // Every request reached R2's S3 API signed (the stand-in refuses anything else).
    expect(s3.seen.length).toBeGreaterThan(0);

    // "Re-run failed jobs": the publish job alone, from the same artifact.
    const again = await runStep(train, 'publish', 'publish', { contexts: c, extraEnv: s3Env() });
    expect(again.status).toBe(0);
    expect(versions()).toEqual([version]);

    // A better model is promoted meanwhile: this one is published again, not promoted, green with a warning.
    const better = manifestSchema.parse(JSON.parse(s3.objects.get(r2Keys.latest)!.toString('utf8')));
    const best = {
      ...better,
      version: '20991231T000000Z-00000001',
      metrics: { ...better.metrics, fid: 0.001 },
    };
    s3.objects.set(r2Keys.latest, Buffer.from(JSON.stringify(best)));
    const worse = await runStep(train, 'publish', 'publish', { contexts: c, extraEnv: s3Env() });
    expect(worse.status).toBe(0);
    expect(worse.stdout).toMatch(
      /::warning title=Published, not promoted::worse than the promoted 20991231T000000Z-00000001/,
    );
    expect(promoted()).toBe(best.version);
    const summary = await runStep(train, 'publish', 'Job summary', { contexts: c });
    expect(summary.summary).toContain(`Published **${version}** without promoting it`);
    expect(summary.summary).toContain('(promoted before: 20991231T000000Z-00000001, FID 0.001;');

    // force: promotes it anyway.
    const forced = await runStep(train, 'publish', 'publish', {
      contexts: contexts('workflow_dispatch', { steps: '4', force: true }),
      extraEnv: s3Env(),
    });
    expect(forced.status).toBe(0);
    expect(promoted()).toBe(version);
  });

  it('without the R2 secrets the publish step is skipped and the summary says why', async () => {
    downloadArtifact(runDir(c));
    const noSecrets = { ...c, secrets: {} };
    const env = jobEnv(train, 'publish', noSecrets);
    expect(env.R2_CONFIGURED).toBe('false');
    expect(condition(findStep(train, 'publish', 'publish').if, { ...noSecrets, env })).toBe(false);
    const summary = await runStep(train, 'publish', 'Job summary', { contexts: noSecrets });
    expect(summary.stdout).toContain('::warning title=Not published::the repository secrets R2_ACCOUNT_ID');
    expect(summary.summary).toContain(
      '**Not published**: the repository secrets R2_ACCOUNT_ID, R2_ACCESS_KEY_ID',
    );
    expect(summary.summary).toContain('| publish | not run | | |');
  });
});

describe('train.yml mode smoke, run here', () => {
  const c = contexts('workflow_dispatch', { mode: 'smoke' });
  const quick = '--steps 2 --batch-size 8 --train-digits 256';

  it('with --require-gpu on a machine without one: both routes fail, each says why, the job fails', async () => {
    const r = await runStep(train, 'smoke', 'gpu-check', {
      contexts: c,
      overrides: { GPU_CHECK_FLAGS: quick },
    });
    expect(r.status).toBe(1);
    expect(r.summary).toContain('| tfjs-node-gpu (CUDA) | FAILED |');
    expect(r.summary).toMatch(
      /\| WebGPU \(Dawn on Vulkan\) \| FAILED \| +\| +\| (--require-gpu|--backend webgpu)/,
    );
  });

  it('a recipe flag that would override what gpu-check sets is refused before any route trains', async () => {
    const r = await runStep(train, 'smoke', 'gpu-check', {
      contexts: c,
      overrides: { GPU_CHECK_FLAGS: quick, RECIPE: '--r1-gamma 1 --steps=5' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: --steps after --: gpu-check sets it for every route');
    expect(r.stdout).not.toContain('── tfjs-node-gpu');
  });

  it.skipIf(vulkanForTests() !== null)(
    'where a route trains (here WebGPU on the software adapter, allowed), the table says so',
    async () => {
      const r = await runStep(train, 'smoke', 'gpu-check', {
        contexts: c,
        overrides: { GPU_CHECK_FLAGS: `${quick} --allow-software` },
      });
      expect(r.status).toBe(0);
      expect(r.summary).toMatch(
        /\| WebGPU \(Dawn on Vulkan\) \| works \| WebGPU \(Dawn\): .*\| [\d.]+ steps\/s/,
      );
      // It trained the full run's recipe (R1's second-order gradients included), and says so.
      expect(r.summary).toContain('### GPU check: 2 steps on each route, --r1-gamma 1 --d-width 2');
      const dir = join(jobEnv(train, 'smoke', c).RUN_DIR, 'gpu-check-webgpu');
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({
        r1Gamma: 1,
        dWidth: 2,
      });
    },
  );
});

describe('deploy.yml', () => {
  const deploy = loadWorkflow(join(WORKFLOWS, 'deploy.yml'));
  const run = (conclusion: string, event: string) => ({
    github: { event_name: 'workflow_run', event: { workflow_run: { conclusion, event, head_sha: 'abc' } } },
  });

  it('deploys a push to main only after its tests passed; pull requests and failures never', async () => {
    expect(deploy.on.workflow_run).toMatchObject({
      workflows: ['ci'],
      types: ['completed'],
      branches: ['main'],
    });
    expect(condition(deploy.jobs.configured.if, run('success', 'push'))).toBe(true);
    expect(condition(deploy.jobs.configured.if, run('failure', 'push'))).toBe(false);
    expect(condition(deploy.jobs.configured.if, run('success', 'pull_request'))).toBe(false);
    expect(condition(deploy.jobs.configured.if, { github: { event_name: 'workflow_dispatch' } })).toBe(true);
  });

  it('without the Cloudflare secrets (a fork) it is skipped with a notice; with them it deploys', async () => {
    const base = { ...run('success', 'push'), vars: { MODEL_API_URL: 'https://gan.example.workers.dev' } };
    const fork = await runStep(deploy, 'configured', 'check', { contexts: { ...base, secrets: {} } });
    expect(fork.status).toBe(0);
    expect(fork.outputs.ready).toBe('false');
    expect(fork.stdout).toContain('::notice title=Deploy skipped::set the secrets CLOUDFLARE_API_TOKEN');
    const secrets = { CLOUDFLARE_API_TOKEN: 't', CLOUDFLARE_ACCOUNT_ID: 'a' };
    const ours = await runStep(deploy, 'configured', 'check', { contexts: { ...base, secrets } });
    expect(ours.outputs.ready).toBe('true');
    expect(condition(deploy.jobs.deploy.if, { needs: { configured: { outputs: ours.outputs } } })).toBe(true);
    expect(condition(deploy.jobs.deploy.if, { needs: { configured: { outputs: fork.outputs } } })).toBe(
      false,
    );
    // The deployed commit is the tested one; then the smoke test checks the deployment.
    const steps = deploy.jobs.deploy.steps;
    expect(steps.findIndex((s) => s.run === 'npx wrangler deploy')).toBeLessThan(
      steps.findIndex((s) => s.id === 'smoke'),
    );
    expect(findStep(deploy, 'deploy', 'smoke').run).toMatch(/^npm run smoke -- "\$DEPLOY_URL"/);
  });
});
