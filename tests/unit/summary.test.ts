// The training workflow's job summary (pipeline/summary.ts), written from the stages' records of
// fixture runs: what GitHub renders (Markdown tables, a Mermaid xychart block that parses, linked
// images, no data: URIs) and what it says about the backend, the gate and publishing.
import { describe, expect, it } from 'vitest';
import type { Finished, Stage, StageRecord, StageResult } from '../../pipeline/records.ts';
import {
  type LossPoint,
  lossChart,
  metricsTable,
  renderSummary,
  type SummaryFacts,
} from '../../pipeline/summary.ts';
import { mermaidBlocks, parseXyChart } from '../mermaid-xychart.ts';

const losses = (n: number, every = 50): LossPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    step: (i + 1) * every,
    dLoss: 0.7 + 0.3 * Math.sin(i / 7),
    gLoss: 1.2 + 0.5 * Math.cos(i / 9),
  }));

const metrics = {
  fid: 4.396,
  fidFloor: 1.01,
  inceptionScore: 9.88,
  classAccuracy: 0.9963,
  perClassAccuracy: [1, 1, 0.995, 0.995, 1, 0.98, 1, 1, 0.99, 0.99],
  precision: 0.789,
  recall: 0.669,
  classKL: 0.0012,
  samples: 10_000,
};
const reference = {
  inceptionScore: 9.717,
  classAccuracy: 0.9907,
  classKL: 0.0017,
  precision: 0.87,
  recall: 0.816,
};
const VERSION = '20261130T145222Z-3727e264';

const done = <S extends Stage>(stage: S, seconds: number, result: StageResult<S>): Finished<S> => ({
  stage,
  status: 'done',
  startedAt: '2026-12-06T03:17:00Z',
  seconds,
  outputs: [],
  result,
});
const TRAIN = done('train', 754, {
  status: 'finished',
  step: 8000,
  target: 8000,
  trainingSeconds: 750,
  preset: 'fast-cond',
  batchSize: 64,
  backend: { name: 'tensorflow', device: 'GPU (CUDA, libtensorflow); 1 thread', gpu: true },
  routes: [{ route: 'tfjs-node-gpu', used: true }],
});
const EVALUATE = done('evaluate', 95, {
  samples: 10_000,
  fid: metrics.fid,
  fidFloor: metrics.fidFloor,
  classAccuracy: metrics.classAccuracy,
  precision: metrics.precision,
  recall: metrics.recall,
});
const EXPORT = done('export', 3, { version: VERSION, quantization: 'uint8', bytes: 323_165 });
const GATE = done('gate', 0.1, {
  version: VERSION,
  passed: true,
  skipped: false,
  lines: ['ok   class accuracy 0.9963 (need ≥ 0.98)'],
});
const PUBLISH = done('publish', 4, {
  version: VERSION,
  target: 'r2',
  store: 'R2 bucket mnist-gan-models',
  promoted: true,
  notPromotedBecause: null,
  previous: { version: '20261129T000000Z-00000001', fid: 4.61 },
  fid: metrics.fid,
});

/** A run whose stages finished as given (absent: never ran). */
function fixture(
  stages: Partial<{ [S in Stage]: Finished<S> | null }> = {},
  over: Partial<SummaryFacts> = {},
): SummaryFacts {
  const all = { train: TRAIN, evaluate: EVALUATE, export: EXPORT, gate: GATE, publish: PUBLISH, ...stages };
  const records: Partial<Record<Stage, StageRecord>> = {};
  for (const [stage, r] of Object.entries(all)) if (r) records[stage as Stage] = r;
  return {
    records,
    train: all.train,
    evaluate: all.evaluate,
    export: all.export,
    gate: all.gate,
    publish: all.publish,
    report: all.evaluate ? { metrics, reference } : null,
    losses: losses(160),
    lastGrid: 'step-008000.png',
    apiUrl: 'https://gan.example.workers.dev/',
    runArtifactUrl: 'https://github.com/o/r/actions/runs/1/artifacts/3',
    notes: [],
    ...over,
  };
}

describe('the loss chart', () => {
  it('is one xychart-beta block that parses: both losses, the logged steps on x, every value in y', () => {
    const block = lossChart(losses(160))!;
    const [inner] = mermaidBlocks(`${block}\n`);
    const chart = parseXyChart(inner);
    expect(chart.x).toEqual({ label: 'step', min: 50, max: 8000 });
    expect(chart.y.min).toBe(0);
    expect(chart.lines).toHaveLength(2);
    // At most 100 points a line, the first and the last logged intervals included.
    expect(chart.lines[0]).toHaveLength(100);
    expect(chart.lines[0][0]).toBeCloseTo(0.7, 3);
    expect(chart.lines[1].at(-1)).toBeCloseTo(1.2 + 0.5 * Math.cos(159 / 9), 3);
    // The colours the title names are the ones the directive sets.
    expect(chart.title).toBe('GAN losses: discriminator (red), generator (blue)');
    expect(chart.init).toEqual({ themeVariables: { xyChart: { plotColorPalette: '#d62728, #1f77b4' } } });
  });

  it('keeps every point of a short run, drops non-finite ones, and has a range with one point', () => {
    expect(parseXyChart(mermaidBlocks(`${lossChart(losses(4, 5))}\n`)[0]).lines[0]).toHaveLength(4);
    const withNaN = [...losses(3), { step: 200, dLoss: Number.NaN, gLoss: 1 }];
    expect(parseXyChart(mermaidBlocks(`${lossChart(withNaN)}\n`)[0]).lines[1]).toHaveLength(3);
    const one = parseXyChart(mermaidBlocks(`${lossChart([{ step: 20, dLoss: 0.5, gLoss: 2 }])}\n`)[0]);
    expect(one.x).toEqual({ label: 'step', min: 0, max: 20 });
    expect(lossChart([])).toBeNull();
  });

  it('picks points evenly spaced in steps, also where a resumed run logged at another cadence', () => {
    const steps = [
      ...Array.from({ length: 80 }, (_, i) => (i + 1) * 50),
      ...Array.from({ length: 40 }, (_, i) => 4000 + (i + 1) * 100),
    ];
    const chart = parseXyChart(
      mermaidBlocks(`${lossChart(steps.map((step) => ({ step, dLoss: step / 10_000, gLoss: 1 })))}\n`)[0],
    );
    const shown = chart.lines[0].map((v) => Math.round(v * 10_000));
    expect(shown).toHaveLength(100);
    // Mermaid draws value i at first + i·(last − first)/99: each is the logged step nearest there.
    shown.forEach((step, i) => {
      expect(Math.abs(step - (50 + (i * 7950) / 99))).toBeLessThanOrEqual(50);
    });
  });

  it('the structural check refuses what Mermaid refuses', () => {
    const bad = [
      'xychart-beta\n  line [1, 2',
      'xychart-beta\n  x-axis "step" 5 -->\n  y-axis 0 --> 1\n  line [1]',
      'xychart-beta\n  title "a "b" c"\n  x-axis 0 --> 1\n  y-axis 0 --> 1\n  line [1]',
      'graph TD\n  a --> b',
      'xychart-beta\n  x-axis 0 --> 1\n  y-axis 0 --> 1\n  line [1, NaN]',
    ];
    for (const b of bad) expect(() => parseXyChart(b), b).toThrow();
  });
});

describe('the metrics table', () => {
  it('shows every score beside the real digits, and the worst digit', () => {
    const table = metricsTable({ metrics, reference });
    const rows = table.split('\n');
    expect(rows[0]).toBe('| metric (10,000 samples) | this model | real test digits |');
    expect(rows[1]).toBe('| --- | --: | --: |');
    expect(rows.every((r) => r.startsWith('| ') && r.endsWith(' |'))).toBe(true);
    expect(new Set(rows.map((r) => r.split(' | ').length)).size).toBe(1);
    expect(table).toContain('| FID (lower is better) | 4.396 | floor 1.010 |');
    expect(table).toContain('| class accuracy | 0.996 | 0.991 |');
    expect(table).toContain('| worst digit | 0.980 (digit 5) |  |');
  });

  it('an unconditional model: no class accuracy, no worst digit', () => {
    const table = metricsTable({ metrics: { ...metrics, classAccuracy: null, perClassAccuracy: null } });
    expect(table).toContain('| class accuracy | — | — |');
    expect(table).not.toContain('worst digit');
  });
});

describe('the stages, from their records', () => {
  it('one row per stage: what it did and how long it took; published and promoted, linked through the worker', () => {
    const md = renderSummary(fixture());
    expect(md).toContain('## Training run: fast-cond, 8,000 steps, uint8');
    expect(md).toContain(
      '| train | done | 12 min 34 s | 8,000 of 8,000 steps (finished) at batch 64 on `tensorflow`: GPU (CUDA, libtensorflow); 1 thread |',
    );
    expect(md).toContain('| evaluate | done | 1 min 35 s | FID 4.396 (floor 1.010), class accuracy 0.996');
    expect(md).toContain(`| export | done | 3.0 s | **${VERSION}**, uint8, 323,165 bytes |`);
    expect(md).toContain('| gate | done | 0.1 s | passed |');
    expect(md).toContain(
      `Published **${VERSION}** and promoted it ([manifest](https://gan.example.workers.dev/v1/models/${VERSION})): served at`,
    );
    const png = `https://gan.example.workers.dev/v1/models/${VERSION}/samples.png`;
    expect(md).toContain(`[![Sample grid of ${VERSION}](${png})](${png})`);
  });

  it('which backend ran and why each route before it was skipped, from the train record', () => {
    const train = done('train', 754, {
      ...TRAIN.result,
      backend: {
        name: 'webgpu',
        device: 'WebGPU (Dawn): nvidia turing, Tesla T4; hardware adapter',
        gpu: true,
      },
      routes: [
        {
          route: 'tfjs-node-gpu',
          used: false,
          why: 'TensorFlow found no GPU device (CUDA 11.x and cuDNN 8 missing?)',
        },
        { route: 'webgpu', used: true },
      ],
    });
    const md = renderSummary(fixture({ train }));
    expect(md).toContain(
      'Backend routes, in the order `--backend auto` tries them:\n- `tfjs-node-gpu`: skipped: TensorFlow found no GPU device (CUDA 11.x and cuDNN 8 missing?)\n- `webgpu`: **used**\n',
    );
  });

  it('a model worse than the promoted one: published, not promoted, both FIDs', () => {
    const publish = done('publish', 4, {
      ...PUBLISH.result,
      promoted: false,
      notPromotedBecause:
        'worse than the promoted 20261129T000000Z-00000001 (FID 4.396 vs baseline 3.100 (need ≤ 3.255))',
      previous: { version: '20261129T000000Z-00000001', fid: 3.1 },
    });
    const md = renderSummary(fixture({ publish }));
    expect(md).toContain(
      `| publish | done | 4.0 s | **${VERSION}** published to R2 bucket mnist-gan-models, **not promoted**: worse than the promoted`,
    );
    expect(md).toContain('(promoted before: 20261129T000000Z-00000001, FID 3.100; this one 4.396)');
    expect(md).toContain(`Published **${VERSION}** without promoting it`);
    expect(md).toContain("the workflow's `force` input promotes it anyway");
  });

  it('a refused gate, and a run with no publishing: says why, once', () => {
    const gate: Finished<'gate'> = {
      ...GATE,
      status: 'refused',
      result: {
        ...GATE.result,
        passed: false,
        lines: ['FAIL FID 12.000 (need ≤ 10)', 'ok   class accuracy 0.99'],
      },
    };
    const md = renderSummary(fixture({ gate, publish: null }, { notes: ['the gate refused the model'] }));
    expect(md).toContain('| gate | refused | 0.1 s | **refused**: FID 12.000 (need ≤ 10) |');
    expect(md).toContain('| publish | not run | | |');
    expect(md).toContain('**Not published**: the gate refused the model');
    expect(md.match(/the gate refused the model/g)).toHaveLength(1);
  });

  it('a run that died early: the failed stage says why; no table, no chart', () => {
    const failed: StageRecord = {
      stage: 'train',
      status: 'failed',
      startedAt: '2026-12-06T03:17:00Z',
      seconds: 12,
      outputs: [],
      error: '--require-gpu: training would run on tensorflow (CPU via libtensorflow: x), not on a GPU',
    };
    const f = fixture(
      { train: null, evaluate: null, export: null, gate: null, publish: null },
      { losses: [], lastGrid: null, runArtifactUrl: '' },
    );
    const md = renderSummary({ ...f, records: { train: failed } });
    expect(md).toContain('## Training run\n');
    expect(md).toContain(
      '| train | failed | 12.0 s | failed: --require-gpu: training would run on tensorflow',
    );
    expect(md).toContain('| evaluate | not run | | |');
    expect(md).toContain('No evaluation: the run stopped before it.');
    expect(md).toContain('No loss was logged.');
    expect(md).toContain('No sample grid was written.');
    expect(mermaidBlocks(md)).toEqual([]);
  });

  it('nothing GitHub would drop: no data: URIs, no inline HTML images', () => {
    for (const f of [fixture(), fixture({ publish: null }, { notes: ['R2 secrets not set'] })]) {
      const md = renderSummary(f);
      expect(md).not.toMatch(/data:/);
      expect(md).not.toMatch(/<img/i);
      expect(mermaidBlocks(md).map(parseXyChart)).toHaveLength(1);
    }
  });
});
