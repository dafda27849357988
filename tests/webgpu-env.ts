// The Vulkan driver the WebGPU tests run on. SwiftShader (software, shipped with Chromium and Chrome)
// gives the same adapter on every machine; .ci/run installs Chromium and the Vulkan loader.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SWIFTSHADER_ICD, vulkanIcds } from '../train/kernels/webgpu-device.ts';

/** SwiftShader's ICD as a Chromium or Google Chrome install ships it, if any. */
function swiftShaderIcd(): string | null {
  const candidates = [SWIFTSHADER_ICD, '/opt/google/chrome/vk_swiftshader_icd.json'];
  const browser = process.env.CHROMIUM_PATH;
  if (browser && existsSync(browser))
    candidates.unshift(join(dirname(realpathSync(browser)), 'vk_swiftshader_icd.json'));
  return candidates.find((f) => existsSync(f)) ?? null;
}

/**
 * Points Dawn at a Vulkan driver (call before Dawn loads; child processes inherit it): the one
 * VK_ICD_FILENAMES names, else SwiftShader, else the system's drivers. Returns why the WebGPU tests
 * must skip, only where there is no Vulkan driver at all; with one they run, and fail saying why
 * when Dawn cannot use it (no libvulkan1, a driver too old).
 */
export function vulkanForTests(): string | null {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) {
    const icd = swiftShaderIcd();
    if (icd) process.env.VK_ICD_FILENAMES = icd;
  }
  if (vulkanIcds().length) return null;
  const why =
    'WebGPU tests skipped: no Vulkan driver (ICD) on this machine. Chromium ships a software one ' +
    "(SwiftShader's: apt-get install chromium libvulkan1, as .ci/run does), or install a GPU driver.";
  console.warn(why);
  return why;
}
