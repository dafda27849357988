// The training workflow's job summary (release/summary.ts) for fixture runs: what GitHub renders
// (a Markdown table, a Mermaid xychart block that parses, linked images, no data: URIs) and what it
// says about publishing.
import { describe, expect, it } from 'vitest';
import {
  isBackendLine,
  type LossPoint,
  lossChart,
  metricsTable,
  notPublishedBecause,
  renderSummary,
  type SummaryFacts,
} from '../../release/summary.ts';
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

const fixture = (over: Partial<SummaryFacts> = {}): SummaryFacts => ({
  preset: 'fast-cond',
  steps: '8000',
  quantization: 'uint8',
  losses: losses(160),
  report: { metrics, reference },
  manifest: {
    version: VERSION,
    files: [{ path: 'model.json' }, { path: 'ab.bin' }, { path: 'samples.png' }],
    training: { steps: 8000, batchSize: 64, seconds: 754, backend: 'tensorflow', device: 'Tesla T4' },
  },
  lastGrid: 'step-008000.png',
  gate: 'success',
  publish: 'success',
  publishRequested: true,
  r2Configured: true,
  apiUrl: 'https://gan.example.workers.dev/',
  samplesArtifactUrl: 'https://github.com/o/r/actions/runs/1/artifacts/2',
  runArtifactUrl: 'https://github.com/o/r/actions/runs/1/artifacts/3',
  checkpoint: null,
  backendLog: [],
  ...over,
});

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

describe('publishing, and why not', () => {
  it('published: the version, linked through the worker; the grid is the published samples.png', () => {
    const md = renderSummary(fixture());
    expect(notPublishedBecause(fixture())).toEqual([]);
    expect(md).toContain(
      `Published **${VERSION}** and promoted it: [manifest](https://gan.example.workers.dev/v1/models/${VERSION})`,
    );
    const png = `https://gan.example.workers.dev/v1/models/${VERSION}/samples.png`;
    expect(md).toContain(`[![Sample grid of ${VERSION}](${png})](${png})`);
    expect(md).toContain('Trained 8,000 steps at batch 64 in 12 min 34 s on `tensorflow` (Tesla T4).');
  });

  it('a manifest without samples.png, or no worker URL: the uploaded grid instead', () => {
    const noPng = fixture({
      manifest: { ...fixture().manifest!, files: [{ path: 'model.json' }, { path: 'ab.bin' }] },
    });
    for (const f of [noPng, fixture({ apiUrl: '' })]) {
      expect(renderSummary(f)).toContain(
        'Sample grid (step-008000.png): [download](https://github.com/o/r/actions/runs/1/artifacts/2).',
      );
    }
    expect(renderSummary(fixture({ apiUrl: '' }))).toContain('set the repository variable `MODEL_API_URL`');
  });

  it('every reason it was not published, said once', () => {
    const skipped = { publish: 'skipped' as const };
    expect(notPublishedBecause(fixture({ ...skipped, r2Configured: false }))).toEqual([
      'the repository secrets `R2_ACCOUNT_ID`, `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY`, `R2_BUCKET` are not all set',
    ]);
    expect(notPublishedBecause(fixture({ ...skipped, publishRequested: false }))).toEqual([
      'the run was started with `publish` off',
    ]);
    expect(notPublishedBecause(fixture({ ...skipped, gate: 'failure', r2Configured: false }))).toHaveLength(
      2,
    );
    expect(notPublishedBecause(fixture({ publish: '', gate: '' }))).toEqual([
      'an earlier step failed, so the quality gate did not run',
    ]);
    expect(notPublishedBecause(fixture({ publish: 'failure' }))[0]).toMatch(/^the publish step failed/);
    const md = renderSummary(fixture({ ...skipped, r2Configured: false }));
    expect(md).toContain('**Not published**: the repository secrets');
    expect(md).not.toContain('Published **');
  });

  it('a run that died early: no table, no chart, says so', () => {
    const md = renderSummary(
      fixture({
        losses: [],
        report: null,
        manifest: null,
        lastGrid: null,
        gate: '',
        publish: '',
        runArtifactUrl: '',
        samplesArtifactUrl: '',
      }),
    );
    expect(md).toContain('Training logged no step.');
    expect(md).toContain('No evaluation: the run stopped before it');
    expect(md).toContain('No loss was logged.');
    expect(md).toContain('No sample grid was written.');
    expect(mermaidBlocks(md)).toEqual([]);
  });

  it('names the backend and device that ran, and why the GPU routes before it were skipped', () => {
    const log = [
      "backend: @tensorflow/tfjs-node-gpu not available (Cannot find package '@tensorflow/tfjs-node-gpu')",
      'backend: WebGPU adapter: WebGPU (Dawn): nvidia turing, Tesla T4; hardware adapter',
      'preset fast-cond: G 282,945 params',
      'step 50/8000 | D 1.2',
    ];
    const backendLog = log.filter(isBackendLine);
    expect(backendLog).toEqual(log.slice(0, 2));
    const device = 'WebGPU (Dawn): nvidia turing, Tesla T4; hardware adapter; 1 thread';
    const md = renderSummary(
      fixture({
        backendLog,
        manifest: {
          ...fixture().manifest!,
          training: { ...fixture().manifest!.training!, backend: 'webgpu', device },
        },
      }),
    );
    expect(md).toContain(`Trained 8,000 steps at batch 64 in 12 min 34 s on \`webgpu\` (${device}).`);
    expect(md).toContain(
      "Backend choice (training log):\n- `backend: @tensorflow/tfjs-node-gpu not available (Cannot find package '@tensorflow/tfjs-node-gpu')`\n" +
        '- `backend: WebGPU adapter: WebGPU (Dawn): nvidia turing, Tesla T4; hardware adapter`\n',
    );
    // Without an export, the checkpoint says where training ran; without either, the refusal does.
    const died = fixture({
      manifest: null,
      report: null,
      checkpoint: { step: 3500, backend: 'tensorflow', device: 'GPU (CUDA, libtensorflow); 1 thread' },
    });
    expect(renderSummary(died)).toContain(
      'Training checkpointed step 3,500 on `tensorflow` (GPU (CUDA, libtensorflow); 1 thread).',
    );
    const refused = [
      '!!! WARNING: @tensorflow/tfjs-node-gpu loaded but TensorFlow found NO GPU device: it is running on the CPU.',
      'backend: WebGPU not available (no Vulkan driver (ICD) installed)',
      'error: --require-gpu: training would run on tensorflow (CPU via libtensorflow: x), not on a GPU',
    ];
    const md2 = renderSummary(fixture({ manifest: null, report: null, losses: [], backendLog: refused }));
    expect(refused.every(isBackendLine)).toBe(true);
    expect(md2).toContain('Training logged no step.\n\nBackend choice (training log):\n- `!!! WARNING');
    expect(md2).toContain('- `error: --require-gpu: training would run on tensorflow');
  });

  it('nothing GitHub would drop: no data: URIs, no inline HTML images', () => {
    for (const f of [fixture(), fixture({ publish: 'skipped', r2Configured: false })]) {
      const md = renderSummary(f);
      expect(md).not.toMatch(/data:/);
      expect(md).not.toMatch(/<img/i);
      expect(mermaidBlocks(md).map(parseXyChart)).toHaveLength(1);
    }
  });
});
