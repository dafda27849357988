// The GitHub workflows: valid per a real workflow validator, and train.yml's dispatch inputs are the
// fields POST /v1/retrain validates, with the same choices and defaults.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { retrainRequestSchema, workflowInputs } from '../../contract/index.ts';

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
const train = parse(readFileSync('.github/workflows/train.yml', 'utf8')) as {
  on: { schedule: { cron: string }[]; workflow_dispatch: { inputs: Record<string, Input> } };
  permissions: Record<string, string>;
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: { train: { 'timeout-minutes': number; container: { image: string }; steps: { run?: string }[] } };
};

describe('workflows', () => {
  it('both pass action-validator; a broken one does not', () => {
    for (const f of ['.github/workflows/train.yml', '.github/workflows/ci.yml']) {
      const r = validate(f);
      expect(r.status, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const broken = join(tmp, 'broken.yml');
    writeFileSync(
      broken,
      readFileSync('.github/workflows/train.yml', 'utf8').replace('runs-on:', 'runs-at:'),
    );
    expect(validate(broken).status).not.toBe(0);
  });

  it("train.yml's dispatch inputs are retrainRequestSchema's fields, choices and defaults", () => {
    const inputs = train.on.workflow_dispatch.inputs;
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

  it('train.yml: weekly, one at a time, least privilege, CUDA 11 + cuDNN 8, proves the GPU', () => {
    expect(train.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \d$/);
    expect(train.permissions).toEqual({ contents: 'read' });
    expect(train.concurrency).toEqual({ group: 'train', 'cancel-in-progress': false });
    expect(train.jobs.train['timeout-minutes']).toBeGreaterThan(0);
    expect(train.jobs.train.container.image).toMatch(/cuda:11\.\d+\.\d+-cudnn8/);
    const script = train.jobs.train.steps.map((s) => s.run ?? '').join('\n');
    for (const needle of [
      'nvidia-smi',
      '@tensorflow/tfjs-node-gpu@4.22.0',
      '--require-gpu',
      'npm run gate',
      '--min-class-accuracy-each',
      'npm run publish',
      'GITHUB_STEP_SUMMARY',
    ])
      expect(script).toContain(needle);
  });
});
