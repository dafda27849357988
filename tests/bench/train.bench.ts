// npm run bench:train [-- --presets tutorial,fast,fast-cond --steps 40 --cpu-steps 1 --webgpu-steps 5 --batch-size 64 --threads N]
// Prints steps/s of GAN training per preset on `wasm` (with the project's training kernels) with one
// thread and with all threads (data-parallel, train/parallel/), the speedup, stock `cpu` (one
// step: it is that slow), and `webgpu` on whatever adapter Dawn finds (SwiftShader, a software
// adapter, on a machine without a GPU: informative only). Run it on an otherwise idle machine.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { PRESET_NAMES, type PresetName } from '../../contract/index.ts';
import { command, integer, listOf, parseOrExit } from '../../lib/command.ts';
import { errorMessage } from '../../lib/errors.ts';
import { V8_FLAGS } from '../../train/parallel/v8-flags.ts';
import { vulkanForTests } from '../webgpu-env.ts';

const program = command(
  'npm run bench:train --',
  'Steps/s of GAN training per preset: wasm with 1 and N threads, and the stock cpu backend.',
)
  .addOption(listOf('--presets <list>', 'presets', PRESET_NAMES))
  .option('--steps <n>', 'timed wasm steps (after 5 warm-up steps)', integer('--steps', 1), 40)
  .option(
    '--threads <n>',
    'threads of the data-parallel run',
    integer('--threads', 1),
    availableParallelism(),
  )
  .option('--cpu-steps <n>', 'timed steps on the stock cpu backend', integer('--cpu-steps', 1), 1)
  .option(
    '--webgpu-steps <n>',
    'timed steps on webgpu, after 2 warm-up steps (its shaders compile in the first); 0 = skip',
    integer('--webgpu-steps', 0),
    5,
  )
  .option('--batch-size <n>', 'digits per step', integer('--batch-size', 1), 64);
const values = parseOrExit<{
  presets: PresetName[];
  steps: number;
  threads: number;
  cpuSteps: number;
  webgpuSteps: number;
  batchSize: number;
}>(program);
const presets = values.presets;
const batch = String(values.batchSize);

interface Timing {
  preset: string;
  backend: string;
  device: string;
  steps: number;
  seconds: number;
}
const threads = String(values.threads);
const measure = (preset: string, backend: string, warmup: number, steps: number, t = '1'): Timing => {
  const out = execFileSync(
    process.execPath,
    // The same V8 flags as `npm run train` (package.json).
    [
      ...V8_FLAGS,
      '--import',
      'tsx',
      'tests/bench/train-steps.ts',
      preset,
      backend,
      String(warmup),
      String(steps),
      batch,
      t,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Timing;
};

console.log(
  `machine: ${cpus()[0]?.model} x${cpus().length}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `batch ${batch}; wasm: 5 warm-up + ${values.steps} timed steps, 1 and ${threads} threads; ` +
    `cpu: ${values.cpuSteps} timed step(s), no warm-up; webgpu: 2 warm-up + ${values.webgpuSteps} timed steps\n`,
);
// wasm first for every preset (quick, and measured while the machine is otherwise idle), then the
// long stock-cpu steps.
const rate = (t: Timing) => t.steps / t.seconds;
const wasm = new Map<string, Timing>();
const wasmAll = new Map<string, Timing>();
for (const preset of presets) {
  const one = measure(preset, 'wasm', 5, values.steps);
  process.stderr.write(`  ${preset} wasm 1 thread: ${rate(one).toFixed(3)} steps/s\n`);
  const all = measure(preset, 'wasm', 5, values.steps, threads);
  process.stderr.write(`  ${preset} wasm ${threads} threads: ${rate(all).toFixed(3)} steps/s\n`);
  wasm.set(preset, one);
  wasmAll.set(preset, all);
}
// WebGPU next, on the adapter Dawn finds (Chromium's SwiftShader where there is no GPU).
const webgpu = new Map<string, Timing | string>();
if (values.webgpuSteps > 0) {
  vulkanForTests();
  for (const preset of presets) {
    try {
      const t = measure(preset, 'webgpu', 2, values.webgpuSteps);
      process.stderr.write(`  ${preset} webgpu: ${rate(t).toFixed(3)} steps/s\n`);
      webgpu.set(preset, t);
    } catch (e) {
      webgpu.set(preset, `unavailable: ${errorMessage(e).split('\n').pop()}`);
    }
  }
}
const rows: string[][] = [];
for (const preset of presets) {
  const cpu = measure(preset, 'cpu', 0, values.cpuSteps);
  process.stderr.write(`  ${preset} cpu: ${(cpu.steps / cpu.seconds).toFixed(4)} steps/s\n`);
  const w = rate(wasm.get(preset)!);
  const wn = rate(wasmAll.get(preset)!);
  const c = rate(cpu);
  rows.push([
    preset,
    w.toFixed(3),
    wn.toFixed(3),
    `${(wn / w).toFixed(2)}x`,
    (1000 / wn).toFixed(0),
    c.toFixed(4),
    `${(wn / c).toFixed(0)}x`,
  ]);
}
const head = [
  'preset',
  'wasm 1 thread steps/s',
  `wasm ${threads} threads steps/s`,
  'speedup',
  `${threads} threads ms/step`,
  'stock cpu steps/s',
  `${threads} threads / cpu`,
];
function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(fmt(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(fmt(r));
}
table(head, rows);
if (webgpu.size) {
  console.log('\nwebgpu (one batch per step; a software adapter is informative only):');
  table(
    ['preset', 'backend', 'steps/s', 'ms/step', '/ wasm 1 thread', 'device'],
    presets.map((preset) => {
      const t = webgpu.get(preset)!;
      if (typeof t === 'string') return [preset, 'webgpu', '—', '—', '—', t];
      const w = rate(t);
      return [
        preset,
        'webgpu',
        w.toFixed(3),
        (1000 / w).toFixed(0),
        `${(w / rate(wasm.get(preset)!)).toFixed(3)}x`,
        t.device,
      ];
    }),
  );
}
console.log(
  `\nload average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
