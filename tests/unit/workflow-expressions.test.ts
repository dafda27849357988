// The workflow dry run's reading of GitHub Actions: expressions as the runner evaluates them, the
// shell it picks, and the GITHUB_OUTPUT/GITHUB_ENV file format.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { condition, evaluate, interpolate, type Scope } from '../workflow-expressions.ts';
import { readCommandFile, shellCommand } from '../workflow-runner.ts';

/** `${{ e }}`, written so that no linter takes it for a template placeholder. */
const gh = (e: string) => `\${{ ${e} }}`;

const scope = (over: Partial<Scope['contexts']> = {}, status: Scope['status'] = 'success'): Scope => ({
  contexts: {
    github: { event_name: 'schedule', run_id: '42', run_attempt: '2' },
    inputs: {},
    vars: { GPU_RUNNER_LABEL: 'gpu-t4-4-core' },
    secrets: { R2_BUCKET: 'models' },
    env: { PUBLISH: 'true' },
    steps: {
      gate: { outcome: 'failure', outputs: {} },
      grid: { outcome: 'success', outputs: { path: '/x.png' } },
    },
    ...over,
  },
  status,
});

describe('expressions', () => {
  it('|| and && return an operand, as in GitHub', () => {
    expect(evaluate("inputs.preset || 'fast-cond'", scope())).toBe('fast-cond');
    expect(evaluate("inputs.steps || '8000'", scope({ inputs: { steps: '' } }))).toBe('8000');
    expect(evaluate("github.event_name == 'schedule' || inputs.publish", scope())).toBe(true);
    expect(
      evaluate("github.event_name == 'schedule' || inputs.publish", scope({ github: { event_name: 'x' } })),
    ).toBe(null);
    expect(evaluate("vars.CUDA_IMAGE || 'nvidia/cuda:11.8.0'", scope())).toBe('nvidia/cuda:11.8.0');
    expect(evaluate("secrets.R2_BUCKET != '' && 'yes'", scope())).toBe('yes');
  });

  it("a missing secret equals '' (null and '' both coerce to 0); strings compare without case", () => {
    expect(evaluate("secrets.R2_ACCOUNT_ID != ''", scope())).toBe(false);
    expect(evaluate("secrets.R2_BUCKET != ''", scope())).toBe(true);
    expect(evaluate("steps.grid.outputs.path != ''", scope())).toBe(true);
    expect(evaluate("steps.none.outputs.path != ''", scope())).toBe(false);
    expect(evaluate("'ABC' == 'abc'", scope())).toBe(true);
    expect(evaluate('1 == true', scope())).toBe(true);
    expect(evaluate("!(github.run_id == '42')", scope())).toBe(false);
    expect(evaluate("github['run_id']", scope())).toBe('42');
    expect(evaluate('VARS.gpu_runner_label', scope())).toBe('gpu-t4-4-core');
  });

  it('functions, and a clear error for what the dry run does not know', () => {
    expect(evaluate("startsWith(vars.GPU_RUNNER_LABEL, 'gpu-')", scope())).toBe(true);
    expect(evaluate("format('{0}-{1}', github.run_id, github.run_attempt)", scope())).toBe('42-2');
    expect(evaluate('fromJSON(\'{"a": [1, 2]}\').a[1]', scope())).toBe(2);
    expect(() => evaluate("hashFiles('x')", scope())).toThrow(/does not know the function hashFiles/);
    expect(() => evaluate('nosuch.x', scope())).toThrow(/unknown context 'nosuch'/);
    expect(() => evaluate("'open", scope())).toThrow(/unterminated/);
  });

  it('an expression alone keeps its type; inside text it becomes text', () => {
    expect(interpolate(gh("github.event_name == 'schedule'"), scope())).toBe(true);
    expect(interpolate(`runs/ci-${gh('github.run_id')}-${gh('github.run_attempt')}`, scope())).toBe(
      'runs/ci-42-2',
    );
    expect(interpolate(gh('inputs.force || false'), scope())).toBe(false);
    expect(interpolate(3, scope())).toBe(3);
  });

  it('if: is success() && (…) unless it names a status function', () => {
    const failed = scope({}, 'failure');
    expect(condition(undefined, scope())).toBe(true);
    expect(condition(undefined, failed)).toBe(false);
    expect(condition("env.PUBLISH == 'true'", failed)).toBe(false);
    expect(condition("env.PUBLISH == 'true'", scope())).toBe(true);
    expect(condition('always()', failed)).toBe(true);
    expect(condition("always() && steps.grid.outputs.path != ''", failed)).toBe(true);
    expect(condition(gh('failure()'), failed)).toBe(true);
    expect(condition("steps.gate.outcome == 'failure'", scope())).toBe(true);
  });
});

describe('the runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('picks the shell GitHub picks: shell: bash adds pipefail, a container defaults to sh -e', () => {
    expect(shellCommand('bash', true, 'f')).toEqual([
      'bash',
      '--noprofile',
      '--norc',
      '-eo',
      'pipefail',
      'f',
    ]);
    expect(shellCommand(undefined, true, 'f')).toEqual(['sh', '-e', 'f']);
    expect(shellCommand(undefined, false, 'f')).toEqual(['bash', '-e', 'f']);
    expect(shellCommand('bash -x {0}', false, 'f')).toEqual(['bash', '-x', 'f']);
    expect(() => shellCommand('pwsh', false, 'f')).toThrow(/pwsh/);
  });

  it('reads GITHUB_OUTPUT lines and heredocs', () => {
    const file = join(dir, 'out');
    writeFileSync(file, 'path=/tmp/a=b.png\nnotes<<EOF\none\ntwo\nEOF\nempty=\n');
    expect(readCommandFile(file)).toEqual({ path: '/tmp/a=b.png', notes: 'one\ntwo', empty: '' });
    expect(readCommandFile(join(dir, 'missing'))).toEqual({});
  });
});
