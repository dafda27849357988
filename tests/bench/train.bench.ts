// npm run bench:train [-- --presets tutorial,fast,fast-cond --steps 10 --cpu-steps 1 --batch-size 64]
// Prints steps/s of GAN training per preset on `wasm` (with the project's training kernels) and on
// stock `cpu` (one step: it is that slow), and their ratio. Run it on an otherwise idle machine.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'tutorial,fast,fast-cond' },
    steps: { type: 'string', default: '10' },
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
const measure = (preset: string, backend: string, warmup: number, steps: string): Timing => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'tests/bench/train-steps.ts', preset, backend, String(warmup), steps, batch],
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
  `batch ${batch}; wasm: 2 warm-up + ${values.steps} timed steps; cpu: ${values['cpu-steps']} timed step(s), no warm-up\n`,
);
// wasm first for every preset (quick, and measured while the machine is otherwise idle), then the
// long stock-cpu steps.
const wasm = new Map<string, Timing>();
for (const preset of presets) {
  const t = measure(preset, 'wasm', 2, values.steps);
  process.stderr.write(`  ${preset} wasm: ${(t.steps / t.seconds).toFixed(3)} steps/s\n`);
  wasm.set(preset, t);
}
const rows: string[][] = [];
for (const preset of presets) {
  const cpu = measure(preset, 'cpu', 0, values['cpu-steps']);
  process.stderr.write(`  ${preset} cpu: ${(cpu.steps / cpu.seconds).toFixed(4)} steps/s\n`);
  const w = wasm.get(preset)!.steps / wasm.get(preset)!.seconds;
  const c = cpu.steps / cpu.seconds;
  rows.push([
    preset,
    w.toFixed(3),
    (1000 / w).toFixed(0),
    c.toFixed(4),
    (1000 / c).toFixed(0),
    `${(w / c).toFixed(0)}x`,
  ]);
}
const head = [
  'preset',
  'wasm steps/s',
  'wasm ms/step',
  'stock cpu steps/s',
  'stock cpu ms/step',
  'wasm / cpu',
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
