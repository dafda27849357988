// Whether this device has a hardware WebGPU adapter. The page asks as it starts, on its own thread,
// while the engine's worker is still loading: the answer (tens of ms of the GPU process's time) is
// then ready when the engine chooses its runtime, instead of being the first thing it waits for.

import type { WebgpuVerdict } from './api.ts';

type FallbackFlag = { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } };

/** A software (fallback) adapter counts as none: SwiftShader ran 3–6× slower than WASM. */
export async function webgpuAdapter(): Promise<WebgpuVerdict> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ok: false, reason: 'no WebGPU in this browser' };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter' };
  const a = adapter as unknown as FallbackFlag;
  if (a.info?.isFallbackAdapter ?? a.isFallbackAdapter)
    return { ok: false, reason: 'only a software WebGPU adapter' };
  return { ok: true, reason: '' };
}
