// npm run drs -- --model DIR [--fit-d STEPS] [--gamma X[,Y…]] [--samples N] [--seed N] [--calibration N] [--d-uint8] [--no-baseline] [--json report.json]
// Discriminator rejection sampling (model/drs/) as a training-free add-on: calibrates the run's D
// (or, with --fit-d, a D fitted to the finished generator, which works for an exported model too),
// samples at each γ, and prints the evaluator's scores in both feature spaces beside the
// raw generator's, the acceptance rate, and what D would cost a page.
import { InvalidArgumentError } from 'commander';
import { choice, command, integer, parse, positive, run } from '../lib/command.ts';
import { writeFileAtomic } from '../lib/fs-atomic.ts';
import { discriminatorSize, timeForward } from '../model/drs/cost.ts';
import { loadDiscriminator } from '../model/drs/discriminator.ts';
import {
  type DrsResult,
  type DrsSource,
  drsFromRun,
  prepareDrs,
  sampleAndEvaluate,
} from '../model/drs/drs.ts';
import { fitDiscriminator } from '../model/drs/fit.ts';
import { evaluateGenerator, loadGenerator, type Report } from '../model/evaluate/evaluate.ts';
import { worstClass } from '../model/evaluate/scores.ts';
import { inferenceModel } from '../model/export/inference.ts';
import { BACKENDS, type BackendChoice, selectBackend } from '../train/backend.ts';

const gammas = (v: string): number[] => {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!v.trim() || xs.some((x) => !Number.isFinite(x)))
    throw new InvalidArgumentError(
      `--gamma must be a number or a comma-separated list of numbers, got '${v}'`,
    );
  return xs;
};

const program = command(
  'npm run drs --',
  "Discriminator rejection sampling on a run's generator: calibrate its D on held-out real digits, sample at each γ, score the accepted digits in both feature spaces beside the raw generator's, and say what D costs.",
)
  .requiredOption(
    '--model <dir>',
    'a run folder (its checkpoint holds D), or with --fit-d also an exported model (required)',
  )
  .option(
    '--fit-d <steps>',
    "fit a new D to the finished G for this many steps (G fixed) instead of using the run's D",
    integer('--fit-d', 1),
  )
  .option('--d-from <run>', "with --fit-d: start D from this run folder's D (same preset), not from scratch")
  .option('--fit-lr <rate>', "the fitted D's Adam learning rate", positive('--fit-lr'), 2e-4)
  .option(
    '--gamma <list>',
    'γ of Eq. 8, or several separated by commas: a larger γ accepts fewer',
    gammas,
    [0],
  )
  .option('--samples <n>', 'digits to accept and score', integer('--samples', 100), 10_000)
  .option('--seed <n>', 'seed of the latents, acceptance draws and calibration split', integer('--seed'), 1)
  .option(
    '--calibration <n>',
    'held-out real (MNIST test) digits, and as many fakes, to calibrate D on',
    integer('--calibration', 100),
    5000,
  )
  .option(
    '--batch <n>',
    "candidates per D call (default: the run's batch per thread, as D saw in training; with --fit-d, 32)",
    integer('--batch', 2),
  )
  .option('--d-uint8', "score with D's weights rounded to uint8, as a page would hold them", false)
  .option('--no-baseline', "skip scoring the raw generator's digits")
  .option('--json <file>', 'also write everything as JSON to this file')
  .addOption(
    choice('--backend <name>', 'compute backend (the timing is meant for wasm)', BACKENDS).default('wasm'),
  );

interface DrsOptions {
  model: string;
  fitD?: number;
  dFrom?: string;
  fitLr: number;
  gamma: number[];
  samples: number;
  seed: number;
  calibration: number;
  batch?: number;
  dUint8: boolean;
  baseline: boolean;
  json?: string;
  backend: BackendChoice;
}

const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '—' : v.toFixed(d));

/** One table row: how digits were drawn, what each 64 cost, and the evaluator's scores. */
function row(name: string, acceptance: number, msPer64: number, r: Report): string[] {
  const m = r.metrics;
  const worst = m.perClassAccuracy ? worstClass(m.perClassAccuracy) : null;
  const fid = (s: { fid: number; fidFloor: number } | undefined) =>
    s ? `${f(s.fid, 2)} / ${f(s.fidFloor, 2)} (${f(s.fid / s.fidFloor, 2)}×)` : '—';
  return [
    name,
    f(acceptance),
    f(msPer64, 1),
    fid(m),
    f(m.precision),
    f(m.recall),
    f(m.classAccuracy),
    worst ? `${f(worst.accuracy)} (${worst.digit})` : '—',
    fid(m.second),
    f(m.second?.precision),
    f(m.second?.recall),
  ];
}

function table(rows: string[][]): string {
  const head = [
    'digits',
    'acceptance',
    'ms / 64 shown',
    'FID / floor',
    'precision',
    'recall',
    'class acc',
    'worst digit',
    'FID / floor (2nd)',
    'precision (2nd)',
    'recall (2nd)',
  ];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** G from any model folder and a D fitted to it (R1 γ 1, as the shipped recipe trains D). */
async function fittedSource(o: DrsOptions, steps: number, log: (l: string) => void): Promise<DrsSource> {
  const { generator, preset } = await loadGenerator(o.model);
  const from = o.dFrom ? loadDiscriminator(o.dFrom).discriminator : undefined;
  const batch = o.batch ?? 32;
  log(
    `fitting a new D${o.dFrom ? ` (from ${o.dFrom}'s)` : ''} to ${o.model}'s generator: ${steps} steps of ${batch} real digits and ${batch} fakes`,
  );
  const started = performance.now();
  const discriminator = fitDiscriminator(generator, preset, {
    steps,
    batch,
    seed: o.seed,
    lr: o.fitLr,
    r1Gamma: 1,
    width: 1,
    from,
    progress: (p) =>
      log(
        `  D step ${p.step}/${p.steps}: loss ${f(p.loss)}, D(x) ${f(p.dReal, 2)}, D(G(z)) ${f(p.dFake, 2)} (${f(p.step / ((performance.now() - started) / 1000), 1)} steps/s)`,
      ),
  });
  from?.dispose();
  return { generator, discriminator, preset, batch };
}

run(async () => {
  const o = parse<DrsOptions>(program);
  const log = (l: string) => console.error(l);
  const backend = await selectBackend(o.backend, false, () => {});
  log(`backend: ${backend.name} on ${backend.device}`);
  const source = o.fitD ? await fittedSource(o, o.fitD, log) : drsFromRun(o.model, o.batch);
  const { drs, calibration, dispose } = prepareDrs(source, {
    digits: o.calibration,
    seed: o.seed,
    dUint8: o.dUint8,
    log,
  });
  try {
    const c = calibration;
    console.log(
      `calibration (Platt scaling): D̃ = ${f(c.a, 4)}·logit ${c.b < 0 ? '−' : '+'} ${f(Math.abs(c.b), 4)}, fitted on ${c.digits} held-out real digits and ${c.digits} fakes` +
        `${c.dUint8 ? ' (D rounded to uint8)' : ''}; log M ${f(c.logM)}; D scores candidates ${c.batch} at a time`,
    );
    console.log(
      `check on ${c.check.digits} other real digits and fakes: mean D̃ real ${f(c.check.real)}, fake ${f(c.check.fake)}`,
    );
    console.log(
      `F at γ 0 over the burn-in: median ${f(c.fPercentiles.p50, 2)}, 80th percentile ${f(c.fPercentiles.p80, 2)}, 95th ${f(c.fPercentiles.p95, 2)}`,
    );
    const size = discriminatorSize(drs.discriminator);
    const folded = inferenceModel(drs.generator);
    const times = timeForward(folded, drs.discriminator, drs.preset, 64);
    folded.dispose();
    console.log(
      `D: ${size.params.toLocaleString()} weights, ${size.uint8WeightBytes.toLocaleString()} bytes as uint8 + ${size.topologyBytes.toLocaleString()} bytes of model.json`,
    );
    console.log(
      `64 candidates (median, Node, ${times.backend}, one thread: a proxy for the page): G ${f(times.generatorMs, 1)} ms, G + D ${f(times.generatorAndDiscriminatorMs, 1)} ms`,
    );

    const rows: string[][] = [];
    let baseline: Report | null = null;
    if (o.baseline) {
      log('scoring the raw generator');
      baseline = await evaluateGenerator(drs.generator, drs.preset, {
        samples: o.samples,
        seed: o.seed,
        model: o.model,
        log,
      });
      rows.push(row('G alone', 1, times.generatorMs, baseline));
    }
    const runs: (DrsResult & { msPer64Shown: number })[] = [];
    for (const gamma of o.gamma) {
      const r = await sampleAndEvaluate(drs, {
        samples: o.samples,
        gamma,
        seed: o.seed,
        model: o.model,
        log,
      });
      const msPer64Shown = times.generatorAndDiscriminatorMs / r.acceptance;
      runs.push({ ...r, msPer64Shown });
      rows.push(row(`rejection, γ ${gamma}`, r.acceptance, msPer64Shown, r.report));
      if (r.perClass)
        log(`acceptance per digit 0–9 at γ ${gamma}: ${r.perClass.map((p) => f(p.acceptance, 2)).join(' ')}`);
      // A sharp calibration makes D̃ heavy-tailed: one outlier raises log M and every later F.
      if (r.logM > drs.logM)
        log(`log M rose from ${f(drs.logM)} to ${f(r.logM)} while sampling at γ ${gamma}`);
    }
    console.log(`\n${table(rows)}`);
    console.log(
      '(ms / 64 shown: G + D time per 64 candidates divided by the acceptance rate; candidates come in batches, so a page pays whole batches)',
    );
    if (o.json)
      writeFileAtomic(
        o.json,
        `${JSON.stringify({ model: o.model, seed: o.seed, samples: o.samples, calibration, discriminator: size, forward: times, baseline, runs }, null, 2)}\n`,
      );
  } finally {
    dispose();
  }
});
