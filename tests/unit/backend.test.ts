// Backend choice. tfjs-node(-gpu) cannot be installed here (its installer downloads libtensorflow), so
// the importer is replaced by one that registers a stand-in 'tensorflow' backend carrying the flags
// tfjs-node's backend exposes (isGPUPackage, isUsingGpuDevice); the selection logic is the real one.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { no } from '../../lib/result.ts';
import { type Importer, selectBackend, type WebGpuRoute } from '../../train/backend.ts';

const missing: Importer = async (pkg) => {
  throw new Error(`Cannot find package '${pkg}'`);
};
function standIn(flags: { isGPUPackage: boolean; isUsingGpuDevice: boolean }, onlyFor?: string): Importer {
  return async (pkg) => {
    if (onlyFor && pkg !== onlyFor) throw new Error(`Cannot find package '${pkg}'`);
    tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), flags));
  };
}
// These tests are about the tfjs-node routes: a machine with a real GPU must not make auto pick WebGPU.
const noWebGpu: WebGpuRoute = {
  probe: async () => no('no WebGPU adapter (stand-in)'),
  start: async () => no('no WebGPU adapter (stand-in)'),
};
afterEach(() => {
  if (tf.findBackend('tensorflow')) tf.removeBackend('tensorflow');
});

describe('selectBackend', () => {
  it('auto without tfjs-node falls back to wasm with our kernels, saying why', async () => {
    const log: string[] = [];
    const info = await selectBackend('auto', false, (l) => log.push(l), missing, noWebGpu);
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(log.join('\n')).toContain(
      "@tensorflow/tfjs-node-gpu not available (Cannot find package '@tensorflow/tfjs-node-gpu')",
    );
    expect(log.join('\n')).toContain('@tensorflow/tfjs-node not available');
    // What became of each route, as the pipeline records it for the job summary.
    expect(info.routes).toEqual([
      {
        route: 'tfjs-node-gpu',
        used: false,
        why: "@tensorflow/tfjs-node-gpu not available (Cannot find package '@tensorflow/tfjs-node-gpu')",
      },
      { route: 'webgpu', used: false, why: 'not available (no WebGPU adapter (stand-in))' },
      {
        route: 'tfjs-node',
        used: false,
        why: "@tensorflow/tfjs-node not available (Cannot find package '@tensorflow/tfjs-node')",
      },
      { route: 'wasm', used: true },
    ]);
  });

  it('tfjs-node-gpu that found no GPU: a loud warning, and --require-gpu refuses', async () => {
    const log: string[] = [];
    const info = await selectBackend(
      'auto',
      false,
      (l) => log.push(l),
      standIn({ isGPUPackage: true, isUsingGpuDevice: false }),
      noWebGpu,
    );
    expect(info).toMatchObject({ name: 'tensorflow', gpu: false });
    expect(info.device).toContain('CPU');
    expect(info.routes.map((r) => [r.route, r.used])).toEqual([
      ['tfjs-node-gpu', false],
      ['webgpu', false],
      ['tfjs-node-gpu', true],
    ]);
    expect(info.routes[0].why).toMatch(/no GPU device/);
    expect(log.join('\n')).toContain(
      'WARNING: @tensorflow/tfjs-node-gpu loaded but TensorFlow found NO GPU device',
    );
    tf.removeBackend('tensorflow');
    await expect(
      selectBackend('tensorflow', true, () => {}, standIn({ isGPUPackage: true, isUsingGpuDevice: false })),
    ).rejects.toThrow('--require-gpu: training would run on tensorflow');
  });

  it('tfjs-node-gpu on a GPU passes --require-gpu', async () => {
    const log: string[] = [];
    const info = await selectBackend(
      'tensorflow',
      true,
      (l) => log.push(l),
      standIn({ isGPUPackage: true, isUsingGpuDevice: true }),
    );
    expect(info).toMatchObject({ name: 'tensorflow', gpu: true });
    expect(log.join('\n')).not.toContain('WARNING');
  });

  it('plain tfjs-node when the GPU package is absent', async () => {
    const log: string[] = [];
    const info = await selectBackend(
      'auto',
      false,
      (l) => log.push(l),
      standIn({ isGPUPackage: false, isUsingGpuDevice: false }, '@tensorflow/tfjs-node'),
      noWebGpu,
    );
    expect(info).toMatchObject({ name: 'tensorflow', gpu: false });
    expect(log.join('\n')).toContain('@tensorflow/tfjs-node-gpu not available');
    expect(log.join('\n')).not.toContain('WARNING');
  });

  it('--backend tensorflow without either package is a clear error; cpu is plain cpu', async () => {
    await expect(selectBackend('tensorflow', false, () => {}, missing)).rejects.toThrow(
      'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded',
    );
    expect((await selectBackend('cpu', false, () => {}, missing)).name).toBe('cpu');
  });
});
