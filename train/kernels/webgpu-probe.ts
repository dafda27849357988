// `--backend auto` asks whether this machine has a hardware WebGPU adapter before choosing. The
// question is put to Dawn in a child process: where the answer is no (most CPU-only machines),
// the training process never loads Dawn or a Vulkan driver, and Dawn's driver warnings (written
// straight to stderr) stay out of the training log.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../../lib/errors.ts';
import { no, ok, type Result } from '../../lib/result.ts';
import { type AdapterFacts, noAdapterReason, quietWayland } from './webgpu-device.ts';

const PROBE_TIMEOUT_MS = 60_000;

/** Plain JavaScript (no tsx start-up): prints the adapter's facts as JSON, or null. */
const script = (dawn: string) => `
const { create } = await import(${JSON.stringify(dawn)});
const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter?.info;
console.log(JSON.stringify(i ? { vendor: i.vendor || 'unknown vendor', architecture: i.architecture || 'unknown architecture',
  description: i.description || i.device || '', fallback: i.isFallbackAdapter === true || adapter.isFallbackAdapter === true } : null));
process.exit(0);
`;

/** The adapter Dawn would give a process with environment `env`, or why there is none. */
export async function probeWebGpu(env: NodeJS.ProcessEnv = process.env): Promise<Result<AdapterFacts>> {
  let dawn: string;
  try {
    dawn = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (e) {
    return no(`the webgpu package is not installed (${errorMessage(e).split('\n')[0]})`);
  }
  const childEnv = { ...env };
  quietWayland(childEnv);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script(dawn)],
      { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8', env: childEnv },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        if (error || !line) {
          const why = stderr.trim().split('\n').pop() || errorMessage(error);
          return resolve(no(`the WebGPU probe failed: ${why}`));
        }
        const facts = JSON.parse(line) as AdapterFacts | null;
        resolve(facts ? ok(facts) : no(noAdapterReason(env)));
      },
    );
  });
}
