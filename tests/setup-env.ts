// Vitest's global setup (vitest.config.ts), in the main process before vitest starts the processes
// that run the test files: they inherit the environment set here, the only way a Vulkan loader
// named by LD_LIBRARY_PATH reaches them (the dynamic linker reads it when a process starts). Prints
// one line each for the browser and the Vulkan driver the run's tests use.
import { relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeChromium } from './browser/chromium.ts';
import { describeVulkan, useVulkan } from './webgpu-env.ts';

export default async function setup(project: TestProject): Promise<void> {
  useVulkan();
  // The files this run holds (an experimental API: where it says nothing, both lines are printed).
  const files = project.vitest.state.getPaths().map((f) => relative(project.config.root, f));
  const runs = (dir: RegExp) => !files.length || files.some((f) => dir.test(f));
  if (runs(/^tests\/browser\//)) console.log(`Browser tests: ${describeChromium()}`);
  if (runs(/^tests\/(unit|integration)\//)) console.log(await describeVulkan());
}
