// npm run grids: the page's views of the shipped model drawn in Node from the page's own latents,
// pixel for pixel what the generator gives for them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latents, styleLatents } from '../../contract/index.ts';
import { loadGenerator } from '../../model/evaluate/evaluate.ts';
import { drawView, pageViews, sideBySidePng } from '../../model/evaluate/views.ts';
import { selectBackend } from '../../train/backend.ts';
import { getPreset } from '../../train/models/presets.ts';
import { runCli, usageTests } from './cli-usage.ts';

const out = mkdtempSync(join(tmpdir(), 'grids-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run grids on the shipped model', () => {
  let r: ReturnType<typeof runCli>;
  beforeAll(() => {
    r = runCli('bin/grids.ts', ['--model', 'model/shipped', '--out', out]);
  });

  it('writes every view the digits issue names, and lists them', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const names = [
      ...[1, 2, 3, 4, 5].map((s) => `any-seed-${s}.png`),
      'eights-seed-1.png',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => `style-seed-${s}.png`),
    ];
    expect(readdirSync(out).sort()).toEqual([...names].sort());
    expect(r.stdout.trim().split('\n').sort()).toEqual(names.map((n) => join(out, n)).sort());
  });

  it("draws the page's digits: the style grid at seed 9, pixel for pixel, as 10 rows of 10", async () => {
    await selectBackend('wasm', false, () => {});
    const { generator, preset } = await loadGenerator('model/shipped');
    const view = pageViews(preset).find((v) => v.name === 'style-seed-9')!;
    expect(view.latents).toEqual(styleLatents(9, 10, preset.latentDim, 10));
    const digits = drawView(generator, preset, view);
    generator.dispose();
    const png = PNG.sync.read(readFileSync(join(out, 'style-seed-9.png')));
    // 4× pixels, a 2-pixel gap around every digit.
    expect([png.width, png.height]).toEqual([(10 * 30 + 2) * 4, (10 * 30 + 2) * 4]);
    // Row 10's "4": the centre pixel of digit (9, 4).
    const [row, col, y, x] = [9, 4, 14, 14];
    const v = digits[(row * 10 + col) * 784 + y * 28 + x];
    const px = ((2 + row * 30 + y) * 4 * png.width + (2 + col * 30 + x) * 4) * 4;
    expect(png.data[px]).toBe(Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))));
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
    const byte = (v: number) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
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
  help: ['--model <dir>', '--against <dir>', '--out <dir>', 'runs/grids'],
  errors: [[[], "required option '--model <dir>'"]],
});
