// Runs a GitHub workflow's `run:` steps on this machine as a runner would: the workflow is checked by
// GitHub's own parser (@actions/workflow-parser), every `${{ }}` is evaluated by GitHub's own
// expression package (@actions/expressions), the workflow's, job's and step's env are layered, the
// script runs under `bash -eo pipefail` with the GITHUB_* files. Steps that `uses:` an action are not
// run here (checkout, setup-node, artifacts): the tests do their part themselves.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { data, Evaluator, type Expr, Lexer, Parser } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const stepSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  run: z.string().optional(),
  uses: z.string().optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  with: z.record(z.string(), z.unknown()).optional(),
});
const jobSchema = z.object({
  if: z.union([z.string(), z.boolean()]).optional(),
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  'runs-on': z.string(),
  'timeout-minutes': z.number().optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  container: z.unknown().optional(),
  steps: z.array(stepSchema),
});
const workflowSchema = z.object({
  on: z.record(z.string(), z.unknown()),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  jobs: z.record(z.string(), jobSchema),
});
export type Workflow = z.infer<typeof workflowSchema>;
export type Step = z.infer<typeof stepSchema>;

/** GitHub's parser's complaints about a workflow file (none: GitHub accepts it). */
export function workflowErrors(name: string, content: string): string[] {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

/** A workflow as the runner sees it (YAML anchors resolved); refused when GitHub's parser refuses it. */
export function loadWorkflow(file: string): Workflow {
  const content = readFileSync(file, 'utf8');
  const errors = workflowErrors(file, content);
  if (errors.length) throw new Error(`${file}: ${errors.join('; ')}`);
  return workflowSchema.parse(parseYaml(content, { merge: true }));
}

/** The contexts an expression can read (github, inputs, vars, secrets, env, steps, needs). */
export type Contexts = Record<string, unknown>;

// The job status functions: the tests run steps of a job whose steps so far succeeded.
const STATUS = { success: true, always: true, failure: false, cancelled: false } as const;
const statusFunctions = Object.entries(STATUS).map(([name, value]) => ({
  name,
  minArgs: 0,
  maxArgs: 0,
  call: () => new data.BooleanData(value),
}));

function compile(expression: string, contexts: Contexts): Expr {
  const lexed = new Lexer(expression).lex();
  return new Parser(lexed.tokens, Object.keys(contexts), statusFunctions).parse();
}

/** One `${{ }}` expression's value. */
export function evaluate(expression: string, contexts: Contexts): data.ExpressionData {
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
  const functions = new Map(statusFunctions.map((f) => [f.name, f]));
  return new Evaluator(compile(expression, contexts), context, functions).evaluate();
}

/** A text with every `${{ }}` replaced by its value as a string. */
export function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => evaluate(expr, contexts).coerceString());
}

/** An `if:` as GitHub reads it: with or without `${{ }}`, absent meaning success(). */
export function condition(when: string | boolean | undefined, contexts: Contexts): boolean {
  if (when === undefined) return true;
  if (typeof when === 'boolean') return when;
  const expr = when.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  return truthy(evaluate(expr, contexts));
}

type EnvMap = Record<string, string | number | boolean> | undefined;
function layer(env: EnvMap, contexts: Contexts, base: Record<string, string>): Record<string, string> {
  const out = { ...base };
  for (const [k, v] of Object.entries(env ?? {})) {
    out[k] = interpolate(String(v), { ...contexts, env: out });
  }
  return out;
}

export interface StepRun {
  status: number;
  stdout: string;
  stderr: string;
  /** What the step appended to $GITHUB_STEP_SUMMARY. */
  summary: string;
  /** What the step wrote to $GITHUB_OUTPUT (`key=value` lines). */
  outputs: Record<string, string>;
  /** The env the step ran with (the workflow's, job's and step's). */
  env: Record<string, string>;
}

/** The env a job's steps see (the workflow's, then the job's), with `overrides` last. */
export function jobEnv(
  workflow: Workflow,
  jobId: string,
  contexts: Contexts,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const job = workflow.jobs[jobId];
  return { ...layer(job.env, contexts, layer(workflow.env, contexts, {})), ...overrides };
}

export function findStep(workflow: Workflow, jobId: string, idOrName: string): Step {
  const step = workflow.jobs[jobId]?.steps.find((s) => s.id === idOrName || s.name === idOrName);
  if (!step) throw new Error(`no step '${idOrName}' in job '${jobId}'`);
  return step;
}

/**
 * Runs one `run:` step of a job here: its env evaluated over the job's (with `overrides` for what
 * stands in for the runner), its script interpolated, under bash -eo pipefail in `cwd`. Asynchronous,
 * so servers of the test's own process (stand-ins the step talks to) keep answering meanwhile.
 */
export async function runStep(
  workflow: Workflow,
  jobId: string,
  idOrName: string,
  opts: {
    contexts: Contexts;
    overrides?: Record<string, string>;
    extraEnv?: NodeJS.ProcessEnv;
    cwd?: string;
  },
): Promise<StepRun> {
  const step = findStep(workflow, jobId, idOrName);
  if (!step.run) throw new Error(`step '${idOrName}' of '${jobId}' runs an action, not a script`);
  const base = jobEnv(workflow, jobId, opts.contexts, opts.overrides);
  const env = { ...layer(step.env, { ...opts.contexts, env: base }, base), ...opts.overrides };
  const script = interpolate(step.run, { ...opts.contexts, env });
  const files = mkdtempSync(join(tmpdir(), 'gh-step-'));
  const summaryFile = join(files, 'summary.md');
  const outputFile = join(files, 'output');
  writeFileSync(summaryFile, '');
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd: opts.cwd ?? process.cwd(),
    timeout: 900_000,
    env: {
      ...process.env,
      ...opts.extraEnv,
      ...env,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: outputFile,
      GITHUB_ENV: join(files, 'env'),
      RUNNER_TEMP: files,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const outputs = existsSync(outputFile)
    ? Object.fromEntries(
        readFileSync(outputFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      )
    : {};
  return {
    status,
    stdout,
    stderr,
    summary: existsSync(summaryFile) ? readFileSync(summaryFile, 'utf8') : '',
    outputs,
    env,
  };
}
