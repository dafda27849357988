// Runs a GitHub Actions job's steps on this machine the way the runner does: `if:` with the job's
// status, env layered workflow < job < step (+ GITHUB_ENV), `${{ }}` with the contexts given,
// steps.<id>.outcome/outputs (GITHUB_OUTPUT), and the shell GitHub picks. `uses:` steps and what
// cannot run here are the caller's to stand in for (hooks).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { condition, interpolate, type Scope, toText, type Value } from './workflow-expressions.ts';

const envSchema = z.record(z.string(), z.unknown()).optional();
const defaultsSchema = z.object({ run: z.object({ shell: z.string().optional() }).optional() }).optional();
const stepSchema = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  env: envSchema,
  run: z.string().optional(),
  shell: z.string().optional(),
  uses: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  'continue-on-error': z.boolean().optional(),
});
const jobSchema = z.object({
  name: z.string().optional(),
  needs: z.union([z.string(), z.array(z.string())]).optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  'runs-on': z.unknown(),
  container: z
    .union([z.string(), z.object({ image: z.string(), options: z.string().optional() })])
    .optional(),
  env: envSchema,
  defaults: defaultsSchema,
  steps: z.array(stepSchema),
});
export const workflowSchema = z.object({
  name: z.string().optional(),
  env: envSchema,
  defaults: defaultsSchema,
  jobs: z.record(z.string(), jobSchema),
});
export type Workflow = z.infer<typeof workflowSchema>;
export type Job = z.infer<typeof jobSchema>;
export type Step = z.infer<typeof stepSchema>;

export type Outcome = 'success' | 'failure' | 'skipped';

/** What the caller does instead of a step: run `script` (saying what it changed), or skip it, saying why. */
export type Instead = { script: string; notes?: string[] } | { skip: string };

export interface Hooks {
  /** A `run:` step: its script as it will run (after `${{ }}`), or a reason to skip it. */
  run(step: Step, script: string): Instead;
  /**
   * A `uses:` step, with its evaluated `with:`: the outputs of what stood in for it and a note, or
   * why it was skipped; throwing fails the step.
   */
  uses(
    step: Step,
    inputs: Record<string, string>,
    env: Record<string, string>,
  ): { outputs: Record<string, string>; note: string } | { skip: string };
}

export interface JobRun {
  /** Contexts other than env/steps/job: github, inputs, vars, secrets, runner, needs. */
  contexts: Record<string, Value>;
  /** Environment every step gets that is no part of the env context (GITHUB_*, RUNNER_*, PATH). */
  processEnv: Record<string, string>;
  /** Set after the job's env is evaluated, for stand-ins; each must be a variable the job sets. */
  envOverrides?: Record<string, string>;
  cwd: string;
  /** A folder for the step scripts and the GITHUB_OUTPUT/GITHUB_ENV files. */
  scratch: string;
  hooks: Hooks;
  log?: (line: string) => void;
}

export interface StepResult {
  name: string;
  outcome: Outcome;
  /** Why it was skipped, or how it failed. */
  note: string;
  seconds: number;
}

export interface JobResult {
  result: Outcome;
  steps: StepResult[];
  env: Record<string, string>;
}

export const stepName = (s: Step): string =>
  s.name ?? (s.uses ? `Run ${s.uses}` : `Run ${(s.run ?? '').trim().split('\n')[0]}`);

/**
 * The shell GitHub runs a `run:` step with. Named `bash` means `-eo pipefail`; none means `bash -e`
 * on a runner, but `sh -e` inside a container (no pipefail either way).
 */
export function shellCommand(shell: string | undefined, inContainer: boolean, file: string): string[] {
  if (shell === undefined) return inContainer ? ['sh', '-e', file] : ['bash', '-e', file];
  if (shell === 'bash') return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file];
  if (shell === 'sh') return ['sh', '-e', file];
  if (shell.includes('{0}')) return shell.split(/\s+/).map((p) => p.replace('{0}', file));
  throw new Error(`the dry run does not know the shell '${shell}'`);
}

/** `key=value` lines and `key<<EOF … EOF` blocks, as steps write GITHUB_OUTPUT and GITHUB_ENV. */
export function readCommandFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delimiter] = heredoc;
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== delimiter) body.push(lines[i]);
      out[key] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

function evaluateEnv(env: Record<string, unknown> | undefined, scope: Scope): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, toText(interpolate(v, scope))]));
}

/** Runs one job's steps in order; a failed step fails the job and skips what is not `always()`. */
export function runJob(workflow: Workflow, jobId: string, o: JobRun): JobResult {
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`no job '${jobId}' in the workflow`);
  const log = o.log ?? ((l: string) => console.log(l));
  const steps: Record<string, { outcome: Outcome; conclusion: Outcome; outputs: Record<string, string> }> =
    {};
  const scope = (env: Record<string, string>, status: Scope['status']): Scope => ({
    contexts: { ...o.contexts, env, steps, job: { status } },
    status,
  });
  let status: Scope['status'] = 'success';
  // Workflow env first, then the job's, each evaluated without an env context of its own.
  const workflowEnv = evaluateEnv(workflow.env, scope({}, status));
  const env: Record<string, string> = { ...workflowEnv, ...evaluateEnv(job.env, scope(workflowEnv, status)) };
  for (const [k, v] of Object.entries(o.envOverrides ?? {})) {
    if (!(k in env)) throw new Error(`the job no longer sets ${k}: the dry run's stand-in for it is stale`);
    env[k] = v;
  }
  const shell = job.defaults?.run?.shell ?? workflow.defaults?.run?.shell;
  const results: StepResult[] = [];
  mkdirSync(o.scratch, { recursive: true });

  for (const [index, step] of job.steps.entries()) {
    const name = stepName(step);
    const started = Date.now();
    const record = (outcome: Outcome, note: string, outputs: Record<string, string> = {}) => {
      const ok = outcome !== 'failure' || step['continue-on-error'] === true;
      if (step.id) steps[step.id] = { outcome, conclusion: ok ? outcome : 'failure', outputs };
      if (!ok) status = 'failure';
      const seconds = (Date.now() - started) / 1000;
      results.push({ name, outcome, note, seconds });
      const mark = outcome === 'success' ? '✓' : outcome === 'failure' ? '✗' : '–';
      const took = outcome === 'skipped' ? '' : `, ${seconds.toFixed(1)} s`;
      log(`${mark} ${name}: ${outcome}${note ? ` (${note})` : ''}${took}`);
    };
    if (!condition(step.if, scope(env, status))) {
      // Without a status function an if: means success() && (…): say which part skipped it.
      const bare = String(step.if).replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1');
      const falseAlone = step.if !== undefined && !condition(`always() && (${bare})`, scope(env, status));
      record(
        'skipped',
        falseAlone || status === 'success' ? `if: ${step.if} is false` : 'an earlier step failed',
      );
      continue;
    }
    const stepEnv = { ...env, ...evaluateEnv(step.env, scope(env, status)) };
    const stepScope = scope(stepEnv, status);

    if (step.uses !== undefined) {
      log(`▶ ${name}`);
      try {
        const done = o.hooks.uses(step, evaluateEnv(step.with, stepScope), stepEnv);
        if ('skip' in done) record('skipped', done.skip);
        else record('success', done.note, done.outputs);
      } catch (e) {
        record('failure', e instanceof Error ? e.message : String(e));
      }
      continue;
    }
    if (step.run === undefined) throw new Error(`step '${name}' has neither run nor uses`);

    const instead = o.hooks.run(step, toText(interpolate(step.run, stepScope)));
    if ('skip' in instead) {
      record('skipped', instead.skip);
      continue;
    }
    const file = join(o.scratch, `step-${index}.sh`);
    const outputFile = join(o.scratch, `step-${index}.output`);
    const envFile = join(o.scratch, `step-${index}.env`);
    writeFileSync(file, instead.script);
    writeFileSync(outputFile, '');
    writeFileSync(envFile, '');
    const [cmd, ...args] = shellCommand(step.shell ?? shell, job.container !== undefined, file);
    log(`▶ ${name}: ${[cmd, ...args.slice(0, -1)].join(' ')}`);
    for (const note of instead.notes ?? []) log(`  ${note}`);
    const r = spawnSync(cmd, args, {
      cwd: o.cwd,
      stdio: 'inherit',
      env: { ...o.processEnv, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_ENV: envFile },
    });
    // Later steps see what this one put in GITHUB_ENV (a step's own env: still wins for that step).
    Object.assign(env, readCommandFile(envFile));
    if (r.status === 0) record('success', '', readCommandFile(outputFile));
    else record('failure', r.error ? r.error.message : `exit ${r.status ?? r.signal}`);
  }
  return { result: status === 'success' ? 'success' : 'failure', steps: results, env };
}
