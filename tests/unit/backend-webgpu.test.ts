// Backend choice with WebGPU. `auto`'s order (tfjs-node-gpu on a GPU, WebGPU on a hardware adapter,
// tfjs-node, wasm, cpu) with stand-ins for what this machine lacks: tfjs-node (see backend.test.ts)
// and a hardware adapter (a stand-in 'webgpu' backend that says it runs on one). The real Dawn
// answers the rest: its software adapter here, and no adapter where no Vulkan driver is named.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { no, ok } from '../../lib/result.ts';
import { type Importer, selectBackend, type WebGpuRoute } from '../../train/backend.ts';
import type { AdapterFacts } from '../../train/kernels/webgpu-device.ts';
import { probeWebGpu } from '../../train/kernels/webgpu-probe.ts';
import { vulkanForTests } from '../webgpu-env.ts';

const skip = vulkanForTests();

const missing: Importer = async (pkg) => {
  throw new Error(`Cannot find package '${pkg}'`);
};
function tfjsNodeGpu(onGpu: boolean): Importer {
  return async (pkg) => {
    if (pkg !== '@tensorflow/tfjs-node-gpu') throw new Error(`Cannot find package '${pkg}'`);
    tf.registerBackend('tensorflow', () =>
      Object.assign(new MathBackendCPU(), { isGPUPackage: true, isUsingGpuDevice: onGpu }),
    );
  };
}

const NVIDIA: AdapterFacts = {
  vendor: 'nvidia',
  architecture: 'turing',
  description: 'Tesla T4',
  fallback: false,
};
const SWIFTSHADER: AdapterFacts = {
  vendor: 'google',
  architecture: 'swiftshader',
  description: 'SwiftShader driver 5.0.0',
  fallback: true,
};
/** A route to WebGPU that finds `facts` and starts a stand-in backend; counts the calls. */
function webgpuStandIn(found: AdapterFacts | string) {
  const calls = { probe: 0, start: 0 };
  const route: WebGpuRoute = {
    probe: async () => {
      calls.probe++;
      return typeof found === 'string' ? no(found) : ok(found);
    },
    start: async () => {
      calls.start++;
      if (typeof found === 'string') return no(found);
      tf.registerBackend('webgpu', () => new MathBackendCPU());
      await tf.setBackend('webgpu');
      return ok({
        info: { name: 'webgpu' as const, gpu: !found.fallback, device: `stand-in ${found.vendor}` },
        facts: found,
      });
    },
  };
  return { route, calls };
}
afterEach(() => {
  for (const name of ['tensorflow', 'webgpu'])
    if (tf.findBackend(name) || tf.findBackendFactory(name)) tf.removeBackend(name);
});

describe('auto: the GPU routes first, each skip said', () => {
  it('tfjs-node-gpu on a GPU wins; WebGPU is not even probed', async () => {
    const { route, calls } = webgpuStandIn(NVIDIA);
    const info = await selectBackend('auto', true, () => {}, tfjsNodeGpu(true), route);
    expect(info).toMatchObject({ name: 'tensorflow', gpu: true });
    expect(calls).toEqual({ probe: 0, start: 0 });
  });

  it('without tfjs-node-gpu, WebGPU on a hardware adapter', async () => {
    const log: string[] = [];
    const { route } = webgpuStandIn(NVIDIA);
    const info = await selectBackend('auto', true, (l) => log.push(l), missing, route);
    expect(info).toMatchObject({ name: 'webgpu', gpu: true });
    expect(tf.getBackend()).toBe('webgpu');
    expect(log[0]).toMatch(/^backend: @tensorflow\/tfjs-node-gpu not available \(Cannot find package/);
    expect(log).toContain('backend: WebGPU adapter: stand-in nvidia');
  });

  it('tfjs-node-gpu without a GPU device (CUDA unusable): warned, then WebGPU on a hardware adapter', async () => {
    const log: string[] = [];
    const { route } = webgpuStandIn(NVIDIA);
    const info = await selectBackend('auto', true, (l) => log.push(l), tfjsNodeGpu(false), route);
    expect(info).toMatchObject({ name: 'webgpu', gpu: true });
    expect(log.join('\n')).toContain(
      'WARNING: @tensorflow/tfjs-node-gpu loaded but TensorFlow found NO GPU device',
    );
    expect(log).toContain(
      'backend: @tensorflow/tfjs-node-gpu skipped for now: no GPU device (kept as the CPU route)',
    );
  });

  it('tfjs-node-gpu without a GPU and only a software adapter: libtensorflow on the CPU, as tfjs-node would be', async () => {
    const log: string[] = [];
    const { route, calls } = webgpuStandIn(SWIFTSHADER);
    const info = await selectBackend('auto', false, (l) => log.push(l), tfjsNodeGpu(false), route);
    expect(info).toMatchObject({ name: 'tensorflow', gpu: false });
    expect(tf.getBackend()).toBe('tensorflow');
    expect(calls).toEqual({ probe: 1, start: 0 });
    expect(log).toContain(
      'backend: WebGPU skipped: its only adapter (google swiftshader, SwiftShader driver 5.0.0) is a fallback (software) adapter: correct, but slower than wasm',
    );
  });

  it('no GPU route: wasm, having said why neither GPU route was taken; --require-gpu refuses', async () => {
    const log: string[] = [];
    const { route } = webgpuStandIn('no Vulkan driver (ICD) installed');
    const info = await selectBackend('auto', false, (l) => log.push(l), missing, route);
    expect(info.name).toBe('wasm');
    expect(log).toEqual([
      expect.stringMatching(/^backend: @tensorflow\/tfjs-node-gpu not available/),
      'backend: WebGPU not available (no Vulkan driver (ICD) installed)',
      expect.stringMatching(/^backend: @tensorflow\/tfjs-node not available/),
    ]);
    await expect(
      selectBackend('auto', true, () => {}, missing, webgpuStandIn(SWIFTSHADER).route),
    ).rejects.toThrow(/^--require-gpu: training would run on wasm \(WASM/);
  });
});

describe('the real Dawn', () => {
  it('finds no adapter where no Vulkan driver is named, and says what to do', async () => {
    const probed = await probeWebGpu({ ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(probed.ok).toBe(false);
    expect(probed.ok ? '' : probed.why).toMatch(
      /^no Vulkan (driver \(ICD\) at \/nonexistent\/icd\.json; |loader)/,
    );
  });

  it.skipIf(skip !== null)(
    '--backend webgpu on the software adapter: named, said to be a fallback, refused by --require-gpu',
    async () => {
      const probed = await probeWebGpu();
      if (!probed.ok) throw new Error(`the probe found no adapter: ${probed.why}`);
      expect(probed.value).toMatchObject({ vendor: expect.any(String), fallback: expect.any(Boolean) });
      const log: string[] = [];
      const info = await selectBackend('webgpu', false, (l) => log.push(l));
      expect(info.name).toBe('webgpu');
      // The child's answer is the adapter this process got.
      const facts = probed.value;
      expect(info.device).toContain(`${facts.vendor} ${facts.architecture}`);
      expect(info.gpu).toBe(!facts.fallback);
      expect(log).toContain(`backend: WebGPU adapter: ${info.device}`);
      if (facts.fallback) {
        expect(log[0]).toMatch(/^note: WebGPU runs on a fallback \(software\) adapter/);
        await expect(selectBackend('webgpu', true, () => {})).rejects.toThrow(
          `--require-gpu: training would run on webgpu (${info.device}), not on a GPU`,
        );
      }
    },
  );
});
