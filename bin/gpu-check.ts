// npm run gpu-check -- --out DIR [--steps 50] [-- <training flags>]
// The GPU runner's smoke test (train.yml, mode smoke): each GPU route on its own (tfjs-node-gpu on
// CUDA, WebGPU on Dawn and Vulkan) trains a few steps with --require-gpu, each in its own process and
// run folder, and a table says which route works, on what device, at what speed, or why not. Exit 0
// when at least one route trains on the GPU; 1 when none does. Training flags after `--` (the full
// run's recipe, e.g. `-- --r1-gamma 1 --d-width 2`) go to every route, so the smoke run proves the
// kernels the full run needs (R1's second-order gradients) and measures the speed it will train at.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { command, integer, parse, run, UsageError } from '../lib/command.ts';
import { readRecord, readResult } from '../pipeline/records.ts';

/** The two routes to a GPU, as `--backend` names them. */
const ROUTES = [
  { backend: 'tensorflow', name: 'tfjs-node-gpu (CUDA)' },
  { backend: 'webgpu', name: 'WebGPU (Dawn on Vulkan)' },
] as const;

const program = command(
  'npm run gpu-check --',
  'Train a few steps on each GPU route (tfjs-node-gpu, WebGPU), each required to run on the GPU, and say which works.',
)
  .requiredOption('--out <dir>', 'a folder for one run folder per route (required)')
  .option('--steps <n>', 'training steps per route', integer('--steps', 1), 50)
  .option('--batch-size <n>', 'digits per step', integer('--batch-size', 2), 64)
  .option('--train-digits <n>', 'use only the first n training digits', integer('--train-digits', 1), 4096)
  .option(
    '--allow-software',
    'accept a route that runs on the CPU or a software adapter (machines without a GPU: proves the wiring, not the GPU)',
    false,
  )
  .argument('[training-flags...]', "after --: more training flags for every route (the full run's recipe)");

/** What gpu-check sets itself for every route; a training flag after -- may not set it again. */
const OWN_FLAGS = [
  '--stages',
  '--out',
  '--backend',
  '--steps',
  '--epochs',
  '--max-minutes',
  '--batch-size',
  '--train-digits',
  '--log-every',
  '--sample-every',
  '--require-gpu',
  '--resume',
];

/** The training flags after --, refused where they would override what gpu-check sets. */
function trainingFlags(args: readonly string[], argv: readonly string[]): string[] {
  const dash = argv.indexOf('--');
  const after = dash < 0 ? 0 : argv.length - dash - 1;
  if (args.length !== after)
    throw new UsageError(`unexpected argument '${args[0]}' (training flags go after --)`);
  for (const a of args) {
    const flag = a.split('=')[0];
    if (OWN_FLAGS.includes(flag))
      throw new UsageError(
        `${flag} after --: gpu-check sets it for every route (use its own --steps, --batch-size, --train-digits)`,
      );
  }
  return [...args];
}

interface GpuCheckOptions {
  out: string;
  steps: number;
  batchSize: number;
  trainDigits: number;
  allowSoftware: boolean;
}

interface RouteReport {
  route: string;
  works: boolean;
  device: string;
  speed: string;
  why: string;
}

/** Trains on one route in a child process (a process can hold one tfjs-node or Dawn backend). */
function tryRoute(backend: string, dir: string, o: GpuCheckOptions, extra: string[]): Promise<number> {
  const args = [
    '--import',
    'tsx',
    join(import.meta.dirname, 'pipeline.ts'),
    '--stages',
    'train',
    '--out',
    dir,
    '--backend',
    backend,
    '--steps',
    String(o.steps),
    '--batch-size',
    String(o.batchSize),
    '--train-digits',
    String(o.trainDigits),
    '--log-every',
    String(Math.max(1, Math.floor(o.steps / 5))),
    '--sample-every',
    String(o.steps),
    ...(o.allowSoftware ? [] : ['--require-gpu']),
    ...extra,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function reportOf(name: string, dir: string, code: number): RouteReport {
  const trained = readResult(dir, 'train');
  if (code === 0 && trained) {
    const t = trained.result;
    return {
      route: name,
      works: true,
      device: t.backend.device,
      speed: `${(t.step / trained.seconds).toFixed(2)} steps/s (with start-up)`,
      why: '',
    };
  }
  const record = readRecord(dir, 'train');
  const why =
    record?.status === 'failed'
      ? record.error
      : `exited ${code} without a record${code === 2 ? ' (a usage error: see its log)' : ''}`;
  return { route: name, works: false, device: '', speed: '', why };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

run(async () => {
  const o = parse<GpuCheckOptions>(program);
  const extra = trainingFlags(program.args, process.argv);
  const recipe = extra.length ? `, ${extra.join(' ')}` : '';
  const reports: RouteReport[] = [];
  for (const route of ROUTES) {
    console.log(
      `\n── ${route.name}: ${o.steps} steps${recipe}${o.allowSoftware ? '' : ' with --require-gpu'}`,
    );
    const dir = join(o.out, `gpu-check-${route.backend}`);
    reports.push(reportOf(route.name, dir, await tryRoute(route.backend, dir, o, extra)));
  }
  const table = [
    `### GPU check: ${o.steps} steps on each route${recipe}${o.allowSoftware ? ' (software allowed)' : ''}`,
    '',
    '| route | result | device | speed | why not |',
    '| --- | --- | --- | --- | --- |',
    ...reports.map(
      (r) =>
        `| ${r.route} | ${r.works ? 'works' : 'FAILED'} | ${cell(r.device)} | ${r.speed} | ${cell(r.why)} |`,
    ),
    '',
  ].join('\n');
  console.log(`\n${table}`);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, table);
  const working = reports.filter((r) => r.works).length;
  console.log(
    working
      ? `${working} of ${ROUTES.length} GPU routes work: a full run can start (mode full)`
      : 'no GPU route works: the table says why',
  );
  return working ? 0 : 1;
});
