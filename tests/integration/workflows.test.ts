// The GitHub workflows: valid per a real workflow validator; train.yml's dispatch inputs are the
// fields POST /v1/retrain validates; the ways a first real run fails are designed out; and the
// workflow dry run (`npm run workflow:dry-run`) runs train.yml's own steps here, end to end.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { retrainRequestSchema, workflowInputs } from '../../contract/index.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { mermaidBlocks, parseXyChart } from '../mermaid-xychart.ts';
import { vulkanForTests } from '../webgpu-env.ts';
import { shellCommand, type Workflow, workflowSchema } from '../workflow-runner.ts';
import { runCli, usageTests } from './cli-usage.ts';

const validate = (file: string) =>
  spawnSync(join('node_modules', '.bin', 'action-validator'), [file], { encoding: 'utf8', timeout: 60_000 });
const tmp = mkdtempSync(join(tmpdir(), 'wf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Input {
  type: string;
  options?: string[];
  default?: string | boolean;
  required?: boolean;
}
const trainText = readFileSync('.github/workflows/train.yml', 'utf8');
const ciText = readFileSync('.github/workflows/ci.yml', 'utf8');
const raw = parse(trainText) as {
  on: { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, Input> } };
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: { train: { 'timeout-minutes': number; container: { env?: Record<string, string> } } };
};
const train: Workflow = workflowSchema.parse(parse(trainText));
const ci: Workflow = workflowSchema.parse(parse(ciText));
const trainJob = train.jobs.train;
const step = (name: string) => {
  const s = trainJob.steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step '${name}' in train.yml`);
  return s;
};
/** `${{ e }}`, written so that no linter takes it for a template placeholder. */
const gh = (e: string) => `\${{ ${e} }}`;

describe('workflows', () => {
  it('both pass action-validator; a broken one does not', () => {
    for (const f of ['.github/workflows/train.yml', '.github/workflows/ci.yml']) {
      const r = validate(f);
      expect(r.status, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const broken = join(tmp, 'broken.yml');
    writeFileSync(broken, trainText.replace('runs-on:', 'runs-at:'));
    expect(validate(broken).status).not.toBe(0);
  });

  it("train.yml's dispatch inputs are retrainRequestSchema's fields, choices and defaults", () => {
    const inputs = raw.on.workflow_dispatch.inputs;
    const shape = retrainRequestSchema.shape;
    expect(Object.keys(inputs).sort()).toEqual(Object.keys(shape).sort());
    const defaults = retrainRequestSchema.parse({});
    expect(inputs.preset.options).toEqual(shape.preset.unwrap().options);
    expect(inputs.quantization.options).toEqual(shape.quantization.unwrap().options);
    expect(inputs.preset.default).toBe(defaults.preset);
    expect(inputs.quantization.default).toBe(defaults.quantization);
    expect(inputs.publish).toMatchObject({ type: 'boolean', default: defaults.publish });
    expect(inputs.force).toMatchObject({ type: 'boolean', default: defaults.force });
    expect(inputs.steps).toMatchObject({ type: 'string', required: false });
    // Whatever the worker sends is something the workflow declares.
    const sent = workflowInputs(retrainRequestSchema.parse({ steps: 10 }));
    for (const k of Object.keys(sent)) expect(Object.keys(inputs)).toContain(k);
  });

  it('train.yml: weekly, one at a time, least privilege, CUDA 11 + cuDNN 8 or Vulkan, proves the GPU', () => {
    expect(raw.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \d$/);
    expect(raw.permissions).toEqual({ contents: 'read' });
    expect(raw.concurrency).toEqual({ group: 'train', 'cancel-in-progress': false });
    const script = trainJob.steps.map((s) => s.run ?? '').join('\n');
    for (const needle of [
      'nvidia-smi',
      '@tensorflow/tfjs-node-gpu@4.22.0',
      '--require-gpu',
      'npm run gate',
      '--min-class-accuracy-each',
      'npm run publish',
      'GITHUB_STEP_SUMMARY',
      'libcudnn\\.so\\.8',
      '--backend auto --require-gpu',
    ])
      expect(script).toContain(needle);
  });

  // The order auto tries them in (tfjs-node-gpu on a GPU, then WebGPU on a hardware adapter) is
  // tests/unit/backend-webgpu.test.ts's; here, that the job gives each route what it needs.
  describe('both GPU routes are wired', () => {
    const fake = (dir: string, name: string, body: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
      chmodSync(join(dir, name), 0o755);
    };
    const runStep = (name: string, bin: string, env: Record<string, string> = {}, edit = (t: string) => t) =>
      spawnSync('bash', ['-eo', 'pipefail', '-c', edit(step(name).run!)], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
      });

    it('CUDA: tfjs-node-gpu is installed and tried first; an image without CUDA 11 or an install that fails only warns', () => {
      const bin = join(tmp, 'routes-bin');
      fake(bin, 'npm', 'if [ "$1" = install ]; then exit 1; fi');
      const install = runStep('Install', bin);
      expect(install.status).toBe(0);
      expect(install.stdout).toContain(
        '::warning::@tensorflow/tfjs-node-gpu did not install: training will try WebGPU',
      );
      expect(step('Install').run).toContain(
        'npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0',
      );
      fake(bin, 'ldconfig', 'echo "libc.so.6 (libc6,x86-64) => /lib/libc.so.6"');
      const cuda12 = runStep('The image has CUDA 11 and cuDNN 8', bin, { CUDA_VERSION: '12.4.1' });
      expect(cuda12.status).toBe(0);
      expect(cuda12.stdout).toContain(
        "::warning::tfjs-node-gpu 4.22 needs CUDA 11.x; this image has '12.4.1'",
      );
      expect(cuda12.stdout).toContain('::warning::tfjs-node-gpu 4.22 needs cuDNN 8');
    });

    it("WebGPU: the Vulkan loader, the driver's graphics capability, its ICD file; the log reaches the summary", () => {
      expect(raw.jobs.train.container.env?.NVIDIA_DRIVER_CAPABILITIES?.split(',').sort()).toEqual([
        'compute',
        'graphics',
        'utility',
      ]);
      expect(step('System packages').run).toMatch(/apt-get install .*\blibvulkan1\b/);
      // The ICD step, with its system folders moved under a temporary root.
      const root = join(tmp, 'vulkan-root');
      const bin = join(tmp, 'vulkan-bin');
      const moved = (t: string) =>
        t
          .replaceAll('/etc/vulkan', `${root}/etc/vulkan`)
          .replaceAll('/usr/share/vulkan', `${root}/usr/share/vulkan`);
      const icd = join(root, 'etc/vulkan/icd.d/nvidia_icd.json');
      fake(
        bin,
        'ldconfig',
        'echo "	libGLX_nvidia.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0"',
      );
      const wrote = runStep("The GPU's Vulkan driver (the WebGPU route)", bin, {}, moved);
      expect(wrote.status, wrote.stderr).toBe(0);
      expect(JSON.parse(readFileSync(icd, 'utf8'))).toEqual({
        file_format_version: '1.0.0',
        ICD: { library_path: '/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0', api_version: '1.3.0' },
      });
      // Already there: left alone. No driver at all: a warning, not a failure.
      expect(runStep("The GPU's Vulkan driver (the WebGPU route)", bin, {}, moved).stdout).toBe(
        "NVIDIA's Vulkan ICD file is there\n",
      );
      rmSync(root, { recursive: true });
      fake(bin, 'ldconfig', 'echo "libc.so.6 (libc6,x86-64) => /lib/libc.so.6"');
      const none = runStep("The GPU's Vulkan driver (the WebGPU route)", bin, {}, moved);
      expect(none.status).toBe(0);
      expect(none.stdout).toContain('::warning::no NVIDIA Vulkan driver in the container');
      expect(existsSync(icd)).toBe(false);
      // The Train step keeps its log (pipefail: a failed training still fails the step); the summary reads it.
      expect(step('Train (fails unless the math runs on the GPU)').run).toContain(
        '2>&1 | tee "$RUN_DIR/train.log"',
      );
      expect(step('Job summary').run).toContain('--train-log "$RUN_DIR/train.log"');
    });
  });

  it('no runner picks it up: a first job on a hosted runner fails at once without GPU_RUNNER_LABEL', () => {
    expect(trainJob['runs-on']).toBe(gh('vars.GPU_RUNNER_LABEL'));
    expect(raw.jobs.train['timeout-minutes']).toBeGreaterThan(0);
    expect(trainJob.needs).toBe('preflight');
    const preflight = train.jobs.preflight;
    expect(preflight['runs-on']).toBe('ubuntu-latest');
    const check = preflight.steps[0];
    expect(check.env).toEqual({ GPU_RUNNER_LABEL: gh('vars.GPU_RUNNER_LABEL') });
    const runCheck = (label: string) =>
      spawnSync('bash', ['-eo', 'pipefail', '-c', check.run!], {
        encoding: 'utf8',
        env: { ...process.env, GPU_RUNNER_LABEL: label },
      });
    const unset = runCheck('');
    expect(unset.status).toBe(1);
    expect(unset.stdout).toMatch(
      /^::error title=No GPU runner configured::Set the repository variable GPU_RUNNER_LABEL/,
    );
    expect(runCheck('gpu-t4-4-core').status).toBe(0);
  });

  it('the failure modes of a first run are designed out', () => {
    const env = trainJob.env!;
    // cuDNN start-up errors on T4s; apt never prompts.
    expect(env.TF_FORCE_GPU_ALLOW_GROWTH).toBe('true');
    expect(env.DEBIAN_FRONTEND).toBe('noninteractive');
    // Every run: step in bash with pipefail, not the container's `sh -e`.
    expect(train.defaults?.run?.shell).toBe('bash');
    const pipeline = join(tmp, 'pipeline.sh');
    writeFileSync(pipeline, 'false | cat\necho after\n');
    const bash = shellCommand(train.defaults?.run?.shell, true, pipeline);
    const sh = shellCommand(undefined, true, pipeline);
    expect(spawnSync(bash[0], bash.slice(1)).status).not.toBe(0);
    expect(spawnSync(sh[0], sh.slice(1), { encoding: 'utf8' }).stdout).toBe('after\n');
    // A re-run is a new attempt: artifact names and the run folder carry it.
    const uploads = [...trainJob.steps, ...ci.jobs.test.steps].filter((s) =>
      s.uses?.startsWith('actions/upload-artifact'),
    );
    expect(uploads).toHaveLength(3);
    for (const u of uploads) {
      if (u.with?.archive === false)
        expect(step('The last sample grid').run).toContain('attempt-$GITHUB_RUN_ATTEMPT');
      else expect(u.with?.name).toContain(gh('github.run_attempt'));
    }
    expect(env.RUN_DIR).toContain(gh('github.run_attempt'));
    // No R2 secrets: publishing is skipped, not failed; the secrets reach the publish step alone.
    expect(step('Publish to R2').if).toBe("env.PUBLISH == 'true' && env.R2_CONFIGURED == 'true'");
    for (const name of ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET']) {
      expect(env.R2_CONFIGURED).toContain(`secrets.${name} != ''`);
      expect(Object.values(env).join('\n')).not.toContain(`${gh(`secrets.${name}`)}`);
    }
    // The image by digest (a repository variable may name a mirror).
    const image = (trainJob.container as { image: string }).image;
    expect(image).toMatch(
      /^\$\{\{ vars\.CUDA_IMAGE \|\| 'nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-ubuntu22\.04@sha256:[0-9a-f]{64}' \}\}$/,
    );
    // zstd: the npm cache is the one ci.yml saves.
    expect(step('System packages').run).toMatch(/apt-get install .*\bzstd\b/);
  });

  it('current major versions of the actions (Node 24)', () => {
    const uses = [train, ci].flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses)));
    const versions = new Set(uses.filter((u): u is string => !!u));
    expect([...versions].sort()).toEqual([
      'actions/checkout@v7',
      'actions/setup-node@v7',
      'actions/upload-artifact@v7',
    ]);
  });

  it("ci.yml points the browser tests at the runner's Chrome; .ci/run then skips its apt step", () => {
    const chromeStep = ci.jobs.test.steps.find((s) => s.run?.includes('CHROMIUM_PATH'))!;
    expect(chromeStep.run).toContain('>> "$GITHUB_ENV"');
    expect(ci.jobs.test.steps.indexOf(chromeStep)).toBeLessThan(
      ci.jobs.test.steps.findIndex((s) => s.run === 'bash .ci/run'),
    );
    // .ci/run's Chromium block, run alone with a fake browser and an apt-get that records its call.
    const ciRun = readFileSync('.ci/run', 'utf8');
    const start = ciRun.indexOf('# The browser tests drive');
    const block = ciRun.slice(start, ciRun.indexOf('npm ci', start));
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = (file: string, body: string) => {
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
    };
    fake(join(tmp, 'chrome'), 'echo "Google Chrome 1.2.3"');
    fake(join(bin, 'apt-get'), `echo "apt-get $*" >> ${join(tmp, 'apt.log')}`);
    fake(join(bin, 'sudo'), '"$@"');
    fake(join(bin, 'chromium'), 'echo "Chromium 9.9"');
    // libvulkan1 (the WebGPU tests' Vulkan loader) as dpkg reports it: installed unless told otherwise.
    fake(
      join(bin, 'dpkg-query'),
      'if [ -n "$NO_VULKAN" ]; then echo "unknown ok not-installed"; else echo "install ok installed"; fi',
    );
    const runBlock = (chromiumPath: string, env: Record<string, string> = {}) =>
      spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin`, CHROMIUM_PATH: chromiumPath, ...env },
      });
    const withChrome = runBlock(join(tmp, 'chrome'));
    expect(withChrome.status).toBe(0);
    expect(withChrome.stdout).toBe('Google Chrome 1.2.3\n');
    expect(existsSync(join(tmp, 'apt.log'))).toBe(false);
    // No CHROMIUM_PATH (or one naming nothing): Debian's chromium, as before.
    expect(runBlock('').stdout).toBe('Chromium 9.9\n');
    expect(runBlock(join(tmp, 'none')).stdout).toBe('Chromium 9.9\n');
    expect(existsSync(join(tmp, 'apt.log'))).toBe(false);
    // Without the Vulkan loader: installed, quietly, next to either browser.
    const noVulkan = runBlock(join(tmp, 'chrome'), { NO_VULKAN: '1' });
    expect(noVulkan.stdout).toBe('Google Chrome 1.2.3\n');
    expect(readFileSync(join(tmp, 'apt.log'), 'utf8')).toBe(
      'apt-get update -qq\napt-get install -y -qq libvulkan1\n',
    );
  });
});

describe('npm run workflow:dry-run', () => {
  const dryRun = (work: string, ...args: string[]) =>
    spawnSync('npm', ['run', '--silent', 'workflow:dry-run', '--', '--work', work, ...args], {
      encoding: 'utf8',
      timeout: 600_000,
    });
  /** Every step of the train job, named in the log with its result, in the workflow's order. */
  const stepLines = (out: string) =>
    trainJob.steps.map((s) => {
      const name = s.name ?? `Run ${s.uses}`;
      const line = out.split('\n').find((l) => /^[✓✗–] /.test(l) && l.slice(2).startsWith(`${name}: `));
      return line ?? `(missing: ${name})`;
    });

  it('runs every step of train.yml, publishes to the local R2, and writes a summary GitHub renders', async () => {
    const work = join(tmp, 'published');
    const r = dryRun(work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = stepLines(r.stdout);
    expect(lines).toEqual([
      expect.stringMatching(/^– The image has CUDA 11 and cuDNN 8: skipped \(dry run: /),
      expect.stringMatching(/^– System packages: skipped \(dry run: /),
      expect.stringMatching(/^✓ Run actions\/checkout@v7: success \(dry run: /),
      expect.stringMatching(/^✓ Run actions\/setup-node@v7: success \(dry run: /),
      expect.stringMatching(/^– The GPU is there: skipped \(dry run: no GPU here\)/),
      expect.stringMatching(/^– The GPU's Vulkan driver \(the WebGPU route\): skipped \(dry run: /),
      expect.stringMatching(/^– Install: skipped \(dry run: /),
      expect.stringMatching(/^✓ Train \(fails unless the math runs on the GPU\): success/),
      expect.stringMatching(/^✓ Evaluate and export: success/),
      expect.stringMatching(/^✓ Quality gate: success/),
      expect.stringMatching(/^✓ Publish to R2: success/),
      expect.stringMatching(/^✓ The last sample grid: success/),
      expect.stringMatching(/^✓ Upload the sample grid: success/),
      expect.stringMatching(/^✓ Upload the run folder: success/),
      expect.stringMatching(/^✓ Job summary: success/),
    ]);
    expect(r.stdout).toContain(
      "dry run: the CPU for the GPU: '--backend auto --require-gpu' → '--backend wasm",
    );
    expect(r.stdout).toContain('dry run: every job succeeded');

    // The local R2 holds the version the summary names, promoted.
    const manifest = JSON.parse(readFileSync(join(work, 'run', 'export', 'manifest.json'), 'utf8')) as {
      version: string;
      files: { path: string }[];
    };
    const store = await openLocalStore(join(work, 'r2'));
    try {
      const latest = await store.get('latest.json');
      expect(JSON.parse(new TextDecoder().decode(latest!)).version).toBe(manifest.version);
    } finally {
      await store.close();
    }

    const summary = readFileSync(join(work, 'summary.md'), 'utf8');
    expect(summary).toMatch(/^## Training run: fast-cond, 20 steps, uint8\n/);
    expect(summary).toMatch(
      / on `wasm` \(WASM.*; 1 thread\)\.\n\nBackend choice \(training log\):\n- `backend: wasm on WASM/,
    );
    expect(summary).toContain(`Published **${manifest.version}** and promoted it`);
    expect(summary).toContain('| metric (100 samples) | this model | real test digits |');
    expect(summary).toMatch(/\| class accuracy \| \d\.\d{3} \| 0\.991 \|/);
    const [chart, ...more] = mermaidBlocks(summary).map(parseXyChart);
    expect(more).toEqual([]);
    expect(chart.x).toEqual({ label: 'step', min: 5, max: 20 });
    expect(chart.lines.map((l) => l.length)).toEqual([4, 4]);
    // The grid: the published samples.png through the worker when the export lists it, else the upload.
    const published = `http://127.0.0.1:8787/v1/models/${manifest.version}/samples.png`;
    if (manifest.files.some((f) => f.path === 'samples.png')) expect(summary).toContain(`](${published})`);
    else expect(summary).toMatch(/Sample grid \(step-000020\.png\): \[download\]\(file:\/\/.+\.png\)/);
    expect(summary).not.toMatch(/data:|<img/);
  }, 300_000);

  // The WebGPU route, on this machine's adapter (SwiftShader: slow, so 2 steps of batch 8); where no
  // Vulkan driver exists at all, the CUDA route's stand-in again.
  const webgpu = vulkanForTests() === null;
  it(`without the R2 secrets (a scheduled run, the ${webgpu ? 'WebGPU' : 'CUDA'} route): publishing is skipped and the summary says why`, () => {
    const work = join(tmp, 'no-secrets');
    const steps = webgpu ? 2 : 20;
    const route = webgpu ? ['--route', 'webgpu', '--steps', String(steps)] : [];
    const r = dryRun(work, '--without-r2-secrets', '--event', 'schedule', ...route);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = stepLines(r.stdout);
    expect(lines[10]).toBe(
      "– Publish to R2: skipped (if: env.PUBLISH == 'true' && env.R2_CONFIGURED == 'true' is false)",
    );
    expect(existsSync(join(work, 'r2'))).toBe(false);
    expect(r.stdout).toContain('::warning title=Model not published::');
    const summary = readFileSync(join(work, 'summary.md'), 'utf8');
    expect(summary).toContain(
      '**Not published**: the repository secrets `R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY`, `R2_BUCKET` are not all set.',
    );
    expect(summary).toContain('Quality gate: **passed**.');
    if (webgpu) {
      // The summary names the backend and the adapter that trained, as the training log said them.
      expect(summary).toMatch(/ on `webgpu` \(WebGPU \(Dawn\): .+ adapter; 1 thread\)\.\n/);
      expect(summary).toMatch(/^- `backend: WebGPU adapter: WebGPU \(Dawn\): .+`$/m);
    }
    // The grid links the uploaded file, which is the last grid itself.
    const grid = `step-${String(steps).padStart(6, '0')}.png`;
    const link = new RegExp(
      `Sample grid \\(${grid.replace('.', '\\.')}\\): \\[download\\]\\(file://(.+\\.png)\\)`,
    ).exec(summary);
    expect(link).not.toBeNull();
    expect(readFileSync(link![1])).toEqual(readFileSync(join(work, 'run', 'samples', grid)));
    expect(mermaidBlocks(summary).map(parseXyChart)).toHaveLength(1);
  }, 300_000);

  it('a changed step is run as changed; a stand-in that no longer finds its text stops the dry run', () => {
    const changed = join(tmp, 'changed.yml');
    writeFileSync(changed, trainText.replace('--out "$RUN_DIR" --no-export', '--out "$RUN_DIR" --no-exprt'));
    const r = dryRun(join(tmp, 'changed'), '--workflow', changed);
    expect(r.status).toBe(1);
    // The training step's stderr goes through its log (2>&1 | tee).
    expect(r.stdout + r.stderr).toContain("unknown option '--no-exprt'");
    expect(r.stdout).toMatch(/^✗ Train \(fails unless the math runs on the GPU\): failure \(exit 2\)/m);
    expect(r.stdout).toMatch(/^– Evaluate and export: skipped \(an earlier step failed\)$/m);
    expect(r.stdout).toMatch(/^✓ Job summary: success/m);

    const stale = join(tmp, 'stale.yml');
    writeFileSync(stale, trainText.replace('--backend auto --require-gpu', '--require-gpu --backend auto'));
    const s = dryRun(join(tmp, 'stale'), '--workflow', stale);
    expect(s.status).toBe(1);
    expect(s.stderr.trim()).toBe(
      "error: the train job no longer contains '--backend auto --require-gpu': update the dry run's stand-ins",
    );

    // What cannot run here, in a step no stand-in skips, stops it before anything runs there.
    const sneaked = join(tmp, 'sneaked.yml');
    writeFileSync(
      sneaked,
      trainText.replace('npm run train -- --preset', 'nvidia-smi && npm run train -- --preset'),
    );
    const n = dryRun(join(tmp, 'sneaked'), '--workflow', sneaked);
    expect(n.status).toBe(1);
    expect(n.stderr).toContain(
      "error: step 'Train (fails unless the math runs on the GPU)' has 'nvidia-smi'",
    );
  }, 120_000);

  it('without GPU_RUNNER_LABEL: the first job fails with the message, the training job never starts', () => {
    const r = dryRun(join(tmp, 'no-label'), '--without-gpu-label');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('::error title=No GPU runner configured::');
    expect(r.stdout).toContain('– job train: skipped (needs preflight)');
    expect(r.stdout).toContain('dry run: preflight failed');
  });
});

usageTests('tests/workflow-dry-run.ts', {
  usage: 'npm run workflow:dry-run --',
  help: ['--without-r2-secrets', '--event <name>', '--steps <n>', '(default: 20)', '--route <name>'],
  errors: [
    [['--event', 'push'], '--event'],
    [['--route', 'metal'], '--route'],
    [['--steps', '0'], '--steps must be a positive integer'],
  ],
});

usageTests('bin/summary.ts', {
  usage: 'node --import tsx bin/summary.ts',
  help: ['--run-dir <dir>', '--gate <outcome>', '--api-url <url>'],
  errors: [
    [[], "required option '--run-dir <dir>' not specified"],
    [['--run-dir', 'x', '--gate', 'passed'], '--gate'],
  ],
});

it('the summary CLI refuses to guess where the summary goes', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/summary.ts', '--run-dir', tmp], {
    encoding: 'utf8',
    env: { ...process.env, GITHUB_STEP_SUMMARY: '' },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('no --out and no GITHUB_STEP_SUMMARY');
  expect(runCli('bin/summary.ts', ['--help']).status).toBe(0);
});
