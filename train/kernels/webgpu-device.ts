// A WebGPU adapter in Node: the `webgpu` package (Dawn) gives Node a `navigator.gpu` on any Vulkan
// driver: NVIDIA's on a GPU machine, Chromium's SwiftShader (a software Vulkan) on one without a GPU
// when VK_ICD_FILENAMES names its ICD. This module finds the adapter and says why there is none.
import { existsSync, readdirSync } from 'node:fs';
import { errorMessage } from '../../lib/errors.ts';
import { no, ok, type Result } from '../../lib/result.ts';
import { routeDawnTicks } from './webgpu-read-sync.ts';

/** What training logs and records about the adapter. */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  description: string;
  /** A software adapter (SwiftShader): correct, but slower than the wasm backend. */
  fallback: boolean;
}

/** Chromium's SwiftShader Vulkan ICD (Debian's chromium package). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const LIBVULKAN_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib',
];

/** The Vulkan ICD files the loader will read: the ones named by the environment, else the system's. */
export function vulkanIcds(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (named) return named.split(':').filter((f) => f && existsSync(f));
  return ICD_DIRS.flatMap((d) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith('.json'))
          .map((f) => `${d}/${f}`)
      : [],
  );
}

/** The Vulkan loader Dawn will load (it asks the dynamic linker for libvulkan.so.1), or null. */
export function libVulkanPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBVULKAN_DIRS];
  return dirs.map((d) => `${d}/libvulkan.so.1`).find((f) => existsSync(f)) ?? null;
}

/** Why Dawn found no adapter, with what to do about it. */
export function noAdapterReason(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'linux' && !libVulkanPath(env))
    return 'no Vulkan loader (libvulkan.so.1): apt-get install libvulkan1';
  const icds = vulkanIcds(env);
  const hint = existsSync(SWIFTSHADER_ICD)
    ? `; for the software adapter: VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`
    : '; Chromium ships a software one (SwiftShader)';
  const named = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (!icds.length)
    return named ? `no Vulkan driver (ICD) at ${named}${hint}` : `no Vulkan driver (ICD) installed${hint}`;
  return `Dawn accepted none of the Vulkan drivers (${icds.join(', ')})${named ? '' : hint}`;
}

/**
 * Vulkan drivers probe for a Wayland display through libwayland, which writes "XDG_RUNTIME_DIR is
 * invalid or not set" to stderr where there is no session. An absolute display path that names
 * nothing makes that probe fail quietly; a real session (either variable set) is left alone.
 */
export function quietWayland(env: NodeJS.ProcessEnv): void {
  if (!env.XDG_RUNTIME_DIR && !env.WAYLAND_DISPLAY) env.WAYLAND_DISPLAY = '/dev/null/no-wayland-session';
}

export interface NodeGpu {
  adapter: GPUAdapter;
  facts: AdapterFacts;
}

let globalsInstalled = false;
let found: NodeGpu | null = null;

/**
 * Loads Dawn, puts WebGPU's globals (GPUBufferUsage, …) and `navigator.gpu` where tfjs's WebGPU
 * backend looks for them, and asks for the high-performance adapter; or why there is none.
 */
export async function requestNodeAdapter(): Promise<Result<NodeGpu>> {
  // One Dawn instance per process: the backend, once started, keeps its device anyway.
  if (found) return ok(found);
  let gpu: GPU;
  try {
    quietWayland(process.env);
    routeDawnTicks();
    const dawn = await import('webgpu');
    if (!globalsInstalled) {
      Object.assign(globalThis, dawn.globals);
      globalsInstalled = true;
    }
    gpu = dawn.create([]);
  } catch (e) {
    return no(`the webgpu package (Dawn) did not load: ${errorMessage(e).split('\n')[0]}`);
  }
  // tfjs's backend refuses to start unless navigator.gpu exists (Node 21+ has a navigator of its own).
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return no(noAdapterReason());
  const info = adapter.info;
  found = {
    adapter,
    facts: {
      vendor: info.vendor || 'unknown vendor',
      architecture: info.architecture || 'unknown architecture',
      description: info.description || info.device || '',
      // Dawn sets it on info; older drafts of the spec had it on the adapter.
      fallback:
        (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
        (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
    },
  };
  return ok(found);
}

/** The adapter's name as Dawn gives it: vendor, architecture, driver. */
export const adapterName = (f: AdapterFacts): string =>
  `${f.vendor} ${f.architecture}${f.description ? `, ${f.description}` : ''}`;

/** One line for logs and the manifest. */
export const describeAdapter = (f: AdapterFacts): string =>
  `WebGPU (Dawn): ${adapterName(f)}; ${f.fallback ? 'fallback (software) adapter' : 'hardware adapter'}`;
