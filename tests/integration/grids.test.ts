// npm run grids: the page's views of the shipped model drawn in Node from the page's own latents,
// pixel for pixel what the generator gives for them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latents, replacementNoise, styleLatents } from '../../contract/index.ts';
import { loadShippedClassifier } from '../../model/classifier/classify.ts';
import { loadGenerator } from '../../model/evaluate/evaluate.ts';
import { drawView, filteredViews, pageViews, sideBySidePng } from '../../model/evaluate/views.ts';
import { selectBackend } from '../../train/backend.ts';
import { getPreset } from '../../train/models/presets.ts';
import { runCli, usageTests } from './cli-usage.ts';

const out = mkdtempSync(join(tmpdir(), 'grids-'));
const byte = (v: number) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
/** Row `row` of a 10-column view's PNG (4× pixels, 2-pixel gaps), as bytes, and as the generator's digits give it. */
const pngRow = (png: PNG, row: number) =>
  Array.from({ length: 10 * 784 }, (_, i) => {
    const [col, y, x] = [Math.floor(i / 784), Math.floor((i % 784) / 28), i % 28];
    return png.data[((2 + row * 30 + y) * 4 * png.width + (2 + col * 30 + x) * 4) * 4];
  });
const digitsRow = (digits: Float32Array, row: number) =>
  Array.from(digits.subarray(row * 10 * 784, (row + 1) * 10 * 784), byte);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run grids on the shipped model', () => {
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    r = runCli('bin/grids.ts', ['--model', 'model/shipped', '--out', out]);
  });

  it('writes every view the digits issue names, and lists them with the style rows the filter redrew', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const names = [
      ...[1, 2, 3, 4, 5].map((s) => `any-seed-${s}.png`),
      'eights-seed-1.png',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => `style-seed-${s}.png`),
    ];
    expect(readdirSync(out).sort()).toEqual([...names].sort());
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.endsWith('.png')).sort()).toEqual(names.map((n) => join(out, n)).sort());
    expect(lines.filter((l) => !l.endsWith('.png'))).toEqual([
      'style-seed-1: the style-row filter redrew row 2',
      'style-seed-9: the style-row filter redrew row 10',
    ]);
  });

  it("draws the page's digits: the style grid at seed 9, pixel for pixel, as 10 rows of 10, its broken last row redrawn", async () => {
    await selectBackend('wasm', false, () => {});
    const { generator, preset } = await loadGenerator('model/shipped');
    const filter = await loadShippedClassifier('filter');
    const raw = pageViews(preset).find((v) => v.name === 'style-seed-9')!;
    expect(raw.latents).toEqual(styleLatents(9, 10, preset.latentDim, 10));
    const [view] = await filteredViews([raw], generator, preset, filter);
    filter.dispose();
    expect(view.redrawn).toEqual([9]);
    // Rows 1–9 keep the seed's noise; row 10's is the filter's first replacement, for every digit.
    const rowZ = 10 * preset.latentDim;
    expect(view.latents.z.subarray(0, 9 * rowZ)).toEqual(raw.latents.z.subarray(0, 9 * rowZ));
    expect(view.latents.labels).toEqual(raw.latents.labels);
    for (let c = 0; c < 10; c++)
      expect(
        view.latents.z.subarray(9 * rowZ + c * preset.latentDim, 9 * rowZ + (c + 1) * preset.latentDim),
      ).toEqual(replacementNoise(9, 9, 1, preset.latentDim));
    const [digits, rawDigits] = [drawView(generator, preset, view), drawView(generator, preset, raw)];
    generator.dispose();
    const png = PNG.sync.read(readFileSync(join(out, 'style-seed-9.png')));
    // 4× pixels, a 2-pixel gap around every digit.
    expect([png.width, png.height]).toEqual([(10 * 30 + 2) * 4, (10 * 30 + 2) * 4]);
    // Row 1 and row 10, every pixel, from the filtered noise; row 10 is not the raw row.
    expect(pngRow(png, 0)).toEqual(digitsRow(digits, 0));
    expect(pngRow(png, 9)).toEqual(digitsRow(digits, 9));
    let moved = 0;
    for (let i = 90 * 784; i < 100 * 784; i++) moved += Math.abs(digits[i] - rawDigits[i]);
    expect(moved / (10 * 784)).toBeGreaterThan(0.1);
  });

  it('--raw draws the style grids from the seed alone, as the generator does', async () => {
    const rawOut = join(out, 'raw');
    const rr = runCli('bin/grids.ts', ['--model', 'model/shipped', '--raw', '--out', rawOut]);
    expect(rr.status).toBe(0);
    expect(rr.stdout).not.toContain('redrew');
    await selectBackend('wasm', false, () => {});
    const { generator, preset } = await loadGenerator('model/shipped');
    const digits = drawView(generator, preset, pageViews(preset).find((v) => v.name === 'style-seed-9')!);
    generator.dispose();
    const png = PNG.sync.read(readFileSync(join(rawOut, 'style-seed-9.png')));
    expect(pngRow(png, 9)).toEqual(digitsRow(digits, 9));
  });

  it("asks the generator for the page's labels: 64 of any class, sixteen 8s", () => {
    const views = pageViews(getPreset('fast-cond'));
    expect(views.find((v) => v.name === 'any-seed-3')!.latents).toEqual(latents(3, 64, 64, 10, 'any'));
    expect(Array.from(views.find((v) => v.name === 'eights-seed-1')!.latents.labels!)).toEqual(
      Array(16).fill(8),
    );
  });
});

describe('npm run grids --against: two models on the same noise, side by side', () => {
  // One-step runs: generators whose digits differ from the shipped one's.
  const quick = '--steps 1 --batch-size 8 --train-digits 64 --threads 1 --no-export'.split(' ');
  const young = join(out, 'young');
  const pair = join(out, 'pair');
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    expect(runCli('bin/train.ts', ['--preset', 'fast-cond', '--out', young, ...quick]).status).toBe(0);
    r = runCli('bin/grids.ts', ['--model', 'model/shipped', '--against', young, '--out', pair]);
  });

  it('--model left, --against right, a grey band between, for every view', async () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(pair)).toHaveLength(16);
    await selectBackend('wasm', false, () => {});
    const [shipped, other] = [await loadGenerator('model/shipped'), await loadGenerator(young)];
    const view = pageViews(shipped.preset).find((v) => v.name === 'eights-seed-1')!;
    const [left, right] = [
      drawView(shipped.generator, shipped.preset, view),
      drawView(other.generator, other.preset, view),
    ];
    const png = PNG.sync.read(readFileSync(join(pair, 'eights-seed-1.png')));
    expect(png.data).toEqual(
      PNG.sync.read(sideBySidePng(shipped.generator, other.generator, shipped.preset, view)).data,
    );
    shipped.generator.dispose();
    other.generator.dispose();
    // 4 + 1 + 4 columns of 30 pixels (a digit and its gap), at 4× pixels.
    expect([png.width, png.height]).toEqual([(9 * 30 + 2) * 4, (4 * 30 + 2) * 4]);
    const at = (col: number, y: number, x: number) =>
      png.data[((2 + 2 * 30 + y) * 4 * png.width + (2 + col * 30 + x) * 4) * 4];
    // Row 3, digit 2 of each model (its centre pixel), and the band's.
    const i = (2 * 4 + 1) * 784 + 14 * 28 + 14;
    expect(left[i]).not.toBeCloseTo(right[i], 2);
    expect(at(1, 14, 14)).toBe(byte(left[i]));
    expect(at(6, 14, 14)).toBe(byte(right[i]));
    expect(at(4, 14, 14)).toBe(40);
  });

  it('a model whose noise is another shape: one line naming both, exit 2, nothing written', () => {
    const tutorial = join(out, 'tutorial');
    expect(runCli('bin/train.ts', ['--preset', 'tutorial', '--out', tutorial, ...quick]).status).toBe(0);
    const bad = runCli('bin/grids.ts', [
      '--model',
      'model/shipped',
      '--against',
      tutorial,
      '--out',
      join(out, 'bad'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`--against ${tutorial}: a tutorial model (noise of 100, 0 classes)`);
    expect(bad.stderr).toContain('than model/shipped, a fast-cond model (64, 10)');
    expect(existsSync(join(out, 'bad'))).toBe(false);
  });
});

describe('npm run grids, wrong calls', () => {
  it('a folder that holds no model: one line naming it, exit 1', () => {
    const r = runCli('bin/grids.ts', ['--model', out, '--out', join(out, 'x')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(out);
  });
});

usageTests('bin/grids.ts', {
  usage: 'npm run grids --',
  help: ['--model <dir>', '--against <dir>', '--raw', '--out <dir>', 'runs/grids'],
  errors: [[[], "required option '--model <dir>'"]],
});
