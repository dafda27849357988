// The Vulkan loader and driver the WebGPU tests run Dawn on. SwiftShader (software, shipped with
// Chromium and Chrome) gives the same adapter on every machine. The system's come first (Debian's
// chromium and libvulkan1, as .ci/run installs); where the system has none, the ones inside the npm
// package @sparticuz/chromium (tests/browser-env.ts), so a machine with only Node and npm runs them.
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../lib/errors.ts';
import { libVulkanPath, quietWayland, SWIFTSHADER_ICD, vulkanIcds } from '../train/kernels/webgpu-device.ts';
import { PACKAGE, packageCache, packagedVulkan } from './browser-env.ts';

/** SwiftShader's ICD as a system Chromium or Google Chrome install ships it, if any. */
function systemSwiftShaderIcd(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [SWIFTSHADER_ICD, '/opt/google/chrome/vk_swiftshader_icd.json'];
  const browser = env.CHROMIUM_PATH;
  if (browser && existsSync(browser))
    candidates.unshift(join(dirname(realpathSync(browser)), 'vk_swiftshader_icd.json'));
  return candidates.find((f) => existsSync(f));
}

/** The Vulkan drivers useVulkan left named, and why the package's were not there when needed. */
export interface VulkanChoice {
  icds: string[];
  packageProblem?: string;
}

/**
 * Points Dawn at a Vulkan loader and driver by setting `env` (before Dawn loads; child processes
 * inherit it). The driver: the one VK_ICD_FILENAMES names, else a system SwiftShader, else the
 * package's SwiftShader. The loader: the system's libvulkan.so.1, else the package's through
 * LD_LIBRARY_PATH, which the dynamic linker reads only when a process starts: it reaches the
 * processes started after this call (tests/setup-env.ts calls it before vitest starts its workers).
 */
export function useVulkan(env: NodeJS.ProcessEnv = process.env): VulkanChoice {
  let packageProblem: string | undefined;
  const packaged = (): string | undefined => {
    const p = packagedVulkan();
    if (p.ok) return p.dir;
    packageProblem = p.why;
  };
  if (process.platform === 'linux' && !libVulkanPath(env)) {
    const dir = packaged();
    if (dir) env.LD_LIBRARY_PATH = env.LD_LIBRARY_PATH ? `${dir}:${env.LD_LIBRARY_PATH}` : dir;
  }
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES) {
    const systemIcd = systemSwiftShaderIcd(env);
    const dir = systemIcd ? undefined : packaged();
    const icd = systemIcd ?? (dir && join(dir, 'vk_swiftshader_icd.json'));
    if (icd) env.VK_ICD_FILENAMES = icd;
  }
  return { icds: vulkanIcds(env), packageProblem };
}

/**
 * useVulkan for a test file: returns why the WebGPU tests must skip, only where there is no Vulkan
 * driver at all; with one they run, and fail saying why when Dawn cannot use it.
 */
export function vulkanForTests(): string | null {
  const { icds, packageProblem } = useVulkan();
  if (icds.length) return null;
  const named = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  const why = named
    ? `WebGPU tests skipped: no Vulkan driver (ICD) at ${named}, as VK_ICD_FILENAMES/VK_DRIVER_FILES name.`
    : `WebGPU tests skipped: no Vulkan driver (ICD) on this machine, nor a packaged one (${packageProblem}). ` +
      "Install Chromium, which ships a software one (SwiftShader's: apt-get install chromium libvulkan1, " +
      'as .ci/run does), or a GPU driver.';
  console.warn(why);
  return why;
}

/** Plain JavaScript: Dawn's adapter, and the Vulkan libraries the process really mapped. */
const probe = (dawn: string) => `
import { existsSync, readFileSync } from 'node:fs';
const { create } = await import(${JSON.stringify(dawn)});
const a = await create([]).requestAdapter().catch(() => null);
const mapped = (existsSync('/proc/self/maps') ? readFileSync('/proc/self/maps', 'utf8') : '').split('\\n').map((l) => l.split(/\\s+/)[5])
  .filter((p) => p && /\\/lib(vulkan|vk_)[^/]*\\.so/.test(p));
console.log(JSON.stringify({ adapter: a && [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' '), mapped: [...new Set(mapped)] }));
process.exit(0);
`;

/** A path as the reader finds it from the checkout; where it came from when it is the package's. */
function shown(file: string): string {
  const cache = packageCache();
  const path = file.startsWith(`${process.cwd()}/`) ? relative(process.cwd(), file) : file;
  return cache && file.startsWith(`${cache}/`) ? `${path} (${PACKAGE})` : path;
}

/**
 * One line for the start of a test run: the adapter Dawn gives a process started with `env`, and the
 * Vulkan loader and driver that process really loaded (read from its memory map, Linux).
 */
export function describeVulkan(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const icds = vulkanIcds(env).join(', ') || 'none';
  const childEnv = { ...env };
  quietWayland(childEnv);
  const dawn = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', probe(dawn)],
      { timeout: 60_000, encoding: 'utf8', env: childEnv },
      (error, stdout, stderr) => {
        let r: { adapter: string | null; mapped: string[] };
        try {
          r = JSON.parse(stdout.trim().split('\n').pop() ?? '');
        } catch {
          const why = stderr.trim().split('\n').pop() || errorMessage(error);
          return resolve(`WebGPU tests: Dawn did not start (${why}); Vulkan driver ${icds}`);
        }
        const loader = r.mapped.find((p) => p.includes('/libvulkan.so'));
        const drivers = r.mapped.filter((p) => p !== loader);
        resolve(
          `WebGPU tests: Dawn on ${r.adapter ?? 'no adapter'}; Vulkan loader ${loader ? shown(loader) : 'none loaded'}` +
            `, driver ${drivers.length ? drivers.map(shown).join(', ') : `none loaded of ${icds}`}`,
        );
      },
    );
  });
}
