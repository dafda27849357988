// npm run bench:train [-- --presets tutorial,fast,fast-cond --steps 40 --cpu-steps 1 --batch-size 64 --threads N]
// Prints steps/s of GAN training per preset on `wasm` (with the project's training kernels) with one
// thread and with all threads (data-parallel, train/parallel/), the speedup, and stock `cpu` (one
// step: it is that slow). Run it on an otherwise idle machine.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

import { V8_FLAGS } from '../../train/parallel/v8-flags.ts';

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'tutorial,fast,fast-cond' },
    steps: { type: 'string', default: '40' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'cpu-steps': { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '64' },
  },
});
const presets = values.presets.split(',');
const batch = values['batch-size'];

interface Timing {
  preset: string;
  backend: string;
  device: string;
  steps: number;
  seconds: number;
}
const threads = values.threads;
const measure = (preset: string, backend: string, warmup: number, steps: string, t = '1'): Timing => {
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
      steps,
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
    `cpu: ${values['cpu-steps']} timed step(s), no warm-up\n`,
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
const rows: string[][] = [];
for (const preset of presets) {
  const cpu = measure(preset, 'cpu', 0, values['cpu-steps']);
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
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(fmt(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(fmt(r));
console.log(
  `\nload average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
