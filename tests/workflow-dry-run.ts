// npm run workflow:dry-run [-- --without-r2-secrets] [--event schedule] [--route webgpu] [--work DIR] …
// Runs .github/workflows/train.yml's own steps here, in order, with the environment it sets: stand-ins
// for GitHub (inputs, vars, secrets, the job summary file, artifacts), this machine for the GPU
// (a tiny budget on `--backend wasm` for the CUDA route, or on this machine's WebGPU adapter for the
// WebGPU route: SwiftShader here) and the local R2 for R2. Only what cannot run here is swapped,
// each swap by an exact piece of the workflow's text, so a changed step is run, or the dry run
// fails saying which stand-in is stale; never silently skipped.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { choice, command, integer, parse, run } from '../lib/command.ts';
import { vulkanForTests } from './webgpu-env.ts';
import { condition, interpolate, toText, type Value } from './workflow-expressions.ts';
import { type Hooks, type Instead, type JobResult, runJob, workflowSchema } from './workflow-runner.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const WORKFLOW = '.github/workflows/train.yml';
/** Where `npm start` serves the worker: the stand-in for the repository variable MODEL_API_URL. */
const LOCAL_API = 'http://127.0.0.1:8787';

const program = command(
  'npm run workflow:dry-run --',
  `Run ${WORKFLOW}'s steps here on the CPU, with stand-ins for GitHub, the GPU and R2.`,
)
  .option(
    '--work <dir>',
    'folder for the run, the local R2, artifacts and the summary (default: a new temporary one)',
  )
  .addOption(
    choice('--event <name>', 'what triggered the run', ['workflow_dispatch', 'schedule']).default(
      'workflow_dispatch',
    ),
  )
  .option('--steps <n>', 'training steps (stands in for the budget)', integer('--steps', 1), 20)
  .option('--eval-samples <n>', 'digits generated for the evaluation', integer('--eval-samples', 100), 100)
  .option('--without-r2-secrets', 'as a repository without the R2 secrets: publishing is skipped', false)
  .option(
    '--without-gpu-label',
    'as a repository without the GPU_RUNNER_LABEL variable: the first job fails',
    false,
  )
  .option('--real-gate', "keep the workflow's gate thresholds (a tiny run fails them)", false)
  .addOption(
    choice(
      '--route <name>',
      'the GPU route the training step stands in for: cuda (wasm on the CPU) or webgpu (WebGPU on this machine, batch 8)',
      ['cuda', 'webgpu'],
    ).default('cuda'),
  )
  .option('--workflow <file>', 'the workflow to run', WORKFLOW);

interface DryRunOptions {
  work?: string;
  event: 'workflow_dispatch' | 'schedule';
  steps: number;
  evalSamples: number;
  withoutR2Secrets: boolean;
  withoutGpuLabel: boolean;
  realGate: boolean;
  route: 'cuda' | 'webgpu';
  workflow: string;
}

interface Swap {
  /** What the swap stands in for, as the log says it. */
  why: string;
  /** The exact text of the workflow it applies to. */
  find: string;
  /** Replace `find` with this in any step… */
  replace?: string;
  /** …or skip this step, by name, whole (it must hold `find`). */
  skip?: string;
}

/** The training command's backend for each GPU route's stand-in. */
const TRAIN_HERE = {
  cuda: '--backend wasm --threads 1 --log-every 5 --sample-every 10',
  // The software adapter is slow: a small batch.
  webgpu: '--backend webgpu --batch-size 8 --log-every 2 --sample-every 10',
};

/** What cannot run here, each found by its exact text in the workflow. */
function swaps(work: string, route: DryRunOptions['route']): Swap[] {
  return [
    {
      why: 'checks the CUDA container image; no container runs here',
      skip: 'The image has CUDA 11 and cuDNN 8',
      find: 'ldconfig -p',
    },
    {
      why: "installs the container's system packages; this machine has its own",
      skip: 'System packages',
      find: 'apt-get install',
    },
    { why: 'no GPU here', skip: 'The GPU is there', find: 'nvidia-smi' },
    {
      why: "writes the container's Vulkan driver file; this machine has its own drivers",
      skip: "The GPU's Vulkan driver (the WebGPU route)",
      find: 'nvidia_icd.json',
    },
    {
      why: 'node_modules is installed here (and in use); tfjs-node-gpu needs CUDA',
      skip: 'Install',
      find: 'npm ci --no-audit --no-fund',
    },
    {
      why: route === 'cuda' ? 'the CPU for the GPU' : "WebGPU on this machine's adapter for the GPU",
      find: '--backend auto --require-gpu',
      replace: TRAIN_HERE[route],
    },
    {
      why: 'the local R2 for R2',
      find: '--target r2',
      replace: `--target local --persist-to '${join(work, 'r2')}'`,
    },
  ];
}

/** A swap that no longer finds its step or its text: the workflow changed under the dry run. */
function staleSwaps(table: Swap[], steps: { name?: string; run?: string }[]): Swap[] {
  return table.filter((swap) =>
    swap.skip === undefined
      ? !steps.some((st) => st.run?.includes(swap.find))
      : !steps.some((st) => st.name === swap.skip && st.run?.includes(swap.find)),
  );
}

/**
 * Text that must not reach a shell here (GPU-only flags and packages, the system's package
 * manager, a reinstall of the node_modules in use): a step that still has it stops the dry run.
 */
const NOT_HERE = [
  '--require-gpu',
  '--backend tensorflow',
  'tfjs-node-gpu',
  'nvidia-smi',
  'nvidia_icd.json',
  'apt-get',
  'npm ci',
];

function hooks(work: string, table: Swap[], artifacts: Set<string>): Hooks {
  return {
    run(step, script): Instead {
      const skip = table.find((swap) => swap.skip !== undefined && swap.skip === step.name);
      if (skip) return { skip: `dry run: ${skip.why}` };
      let text = script;
      const notes: string[] = [];
      for (const swap of table) {
        if (swap.replace === undefined || !text.includes(swap.find)) continue;
        text = text.split(swap.find).join(swap.replace);
        notes.push(`dry run: ${swap.why}: '${swap.find}' → '${swap.replace}'`);
      }
      const left = NOT_HERE.find((g) => text.includes(g));
      if (left)
        throw new Error(
          `step '${step.name}' has '${left}', which cannot run here and no stand-in replaces: update tests/workflow-dry-run.ts`,
        );
      return { script: text, notes };
    },
    uses(step, inputs) {
      const action = (step.uses ?? '').split('@')[0];
      if (action === 'actions/checkout') return { outputs: {}, note: `dry run: the working tree ${ROOT}` };
      if (action === 'actions/setup-node') {
        const want = inputs['node-version'];
        const have = process.versions.node;
        if (want && !have.startsWith(`${want}.`))
          console.log(`  note: Node ${have} here, the workflow sets up ${want}`);
        return { outputs: {}, note: `dry run: Node ${have} here` };
      }
      if (action === 'actions/upload-artifact') return uploadArtifact(work, inputs, artifacts);
      throw new Error(`the dry run has no stand-in for ${step.uses}`);
    },
  };
}

/** upload-artifact, here: a copy under <work>/artifacts; like v4+, a name used twice in a run fails. */
function uploadArtifact(
  work: string,
  inputs: Record<string, string>,
  names: Set<string>,
): { outputs: Record<string, string>; note: string } {
  const path = resolve(ROOT, inputs.path ?? '');
  const single = inputs.archive === 'false';
  const name = single ? basename(path) : inputs.name || 'artifact';
  if (!inputs.path || !existsSync(path)) {
    if (inputs['if-no-files-found'] === 'error') throw new Error(`no files at ${inputs.path}`);
    return { outputs: {}, note: `dry run: nothing at '${inputs.path}' to upload` };
  }
  if (single && !statSync(path).isFile()) throw new Error('archive: false uploads one file only');
  if (names.has(name))
    throw new Error(`an artifact named '${name}' already exists in this run (409 Conflict)`);
  names.add(name);
  const dest = join(work, 'artifacts', name);
  mkdirSync(join(work, 'artifacts'), { recursive: true });
  if (single) copyFileSync(path, dest);
  else cpSync(path, dest, { recursive: true });
  return {
    outputs: { 'artifact-id': String(names.size), 'artifact-url': `file://${dest}` },
    note: `dry run: copied to ${dest}`,
  };
}

const gitSha = () => spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();

run(async () => {
  const o = parse<DryRunOptions>(program);
  // Dawn reads VK_ICD_FILENAMES when it loads: the steps' processes inherit it (SwiftShader here).
  if (o.route === 'webgpu') vulkanForTests();
  const work = resolve(o.work ?? mkdtempSync(join(tmpdir(), 'train-dry-run-')));
  mkdirSync(work, { recursive: true });
  const workflow = workflowSchema.parse(parseYaml(readFileSync(resolve(ROOT, o.workflow), 'utf8')));
  const runId = '4242';
  const dispatch = o.event === 'workflow_dispatch';
  const secretNames = ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'];
  const contexts: Record<string, Value> = {
    github: {
      event_name: o.event,
      run_id: runId,
      run_attempt: '1',
      repository: 'local/dry-run',
      server_url: 'https://github.com',
      sha: gitSha(),
      ref: 'refs/heads/main',
      workspace: ROOT,
    },
    inputs: dispatch
      ? { preset: 'fast-cond', steps: String(o.steps), quantization: 'uint8', publish: true, force: false }
      : {},
    vars: {
      ...(o.withoutGpuLabel ? {} : { GPU_RUNNER_LABEL: 'gpu-dry-run' }),
      MODEL_API_URL: LOCAL_API,
    },
    // Stand-ins: the publish step goes to the local R2, which needs none of them.
    secrets: o.withoutR2Secrets ? {} : Object.fromEntries(secretNames.map((n) => [n, 'dry-run-stand-in'])),
    runner: { os: 'Linux', arch: 'X64', temp: join(work, 'runner-temp'), name: 'dry-run' },
    matrix: {},
    strategy: {},
  };
  mkdirSync(join(work, 'runner-temp'), { recursive: true });
  const summaryFile = join(work, 'summary.md');
  const processEnv = {
    ...(process.env as Record<string, string>),
    CI: 'true',
    GITHUB_EVENT_NAME: o.event,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'local/dry-run',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: ROOT,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: join(work, 'runner-temp'),
  };
  const envOverrides: Record<string, string> = {
    RUN_DIR: join(work, 'run'),
    STEPS: String(o.steps),
    EVAL_SAMPLES: String(o.evalSamples),
    // A few steps cannot pass the real gate: open it, so the steps after it run too.
    ...(o.realGate ? {} : { MIN_CLASS_ACCURACY: '0', MIN_CLASS_ACCURACY_EACH: '0', MAX_FID: '1000000' }),
  };
  const table = swaps(work, o.route);
  // Every stand-in must still find its step and text, whether or not that step will run this time.
  const stale = staleSwaps(table, workflow.jobs.train?.steps ?? []);
  if (stale.length)
    throw new Error(
      `the train job no longer contains ${stale.map((swap) => `'${swap.find}'${swap.skip ? ` in step '${swap.skip}'` : ''}`).join(', ')}: update the dry run's stand-ins`,
    );
  const artifacts = new Set<string>();
  const needs: Record<string, Value> = {};
  const results: Record<string, JobResult['result']> = {};

  console.log(`dry run of ${o.workflow} (${o.event}) in ${work}`);
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const needed = job.needs === undefined ? [] : [job.needs].flat();
    const scope = { contexts: { ...contexts, needs }, status: 'success' as const };
    const blocked = needed.filter((n) => results[n] !== 'success');
    console.log(`\n== job ${id}: runs-on ${toText(interpolate(job['runs-on'], scope))}`);
    if (job.container !== undefined) {
      const image = typeof job.container === 'string' ? job.container : job.container.image;
      console.log(`   container ${toText(interpolate(image, scope))} (dry run: none; runs here)`);
    }
    if (blocked.length || !condition(job.if, scope)) {
      console.log(
        `– job ${id}: skipped (${blocked.length ? `needs ${blocked.join(', ')}` : `if: ${job.if}`})`,
      );
      results[id] = 'skipped';
      needs[id] = { result: 'skipped', outputs: {} };
      continue;
    }
    const r = runJob(workflow, id, {
      contexts: { ...contexts, needs },
      processEnv,
      envOverrides: id === 'train' ? envOverrides : undefined,
      cwd: ROOT,
      scratch: join(work, 'steps', id),
      hooks: hooks(work, table, artifacts),
    });
    results[id] = r.result;
    needs[id] = { result: r.result, outputs: {} };
    console.log(`${r.result === 'success' ? '✓' : '✗'} job ${id}: ${r.result}`);
  }

  if (existsSync(summaryFile))
    console.log(`\n---- job summary (${summaryFile})\n${readFileSync(summaryFile, 'utf8')}----`);
  const failed = Object.entries(results).filter(([, r]) => r === 'failure');
  console.log(
    failed.length ? `dry run: ${failed.map(([j]) => j).join(', ')} failed` : 'dry run: every job succeeded',
  );
  return failed.length ? 1 : 0;
});
