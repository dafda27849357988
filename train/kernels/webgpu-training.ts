// Fixes tfjs-backend-webgpu 4.22's kernels that a GAN training step gets wrong. The backend has
// every kernel the step needs (Conv2DBackpropFilter/Input, FusedBatchNorm, UnsortedSegmentSum,
// ResizeNearestNeighborGrad, …: checked against cpu by tests/unit/webgpu-kernels.test.ts); one is
// wrong: the split-K matmul with a transposed B (webgpu-matmul.ts). Call
// registerWebGpuTrainingKernels() after importing the backend; calling it again is a no-op.
import {
  _FusedMatMul,
  BatchMatMul,
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { makeWebGpuMatMulConfig } from './webgpu-matmul.ts';

export const REPLACED_WEBGPU_KERNELS = [BatchMatMul, _FusedMatMul] as const;

const originals = new Map<string, KernelConfig>();
const installed = new Map<string, KernelConfig['kernelFunc']>();

const isInstalled = (name: string) => {
  const ours = installed.get(name);
  return ours != null && getKernel(name, 'webgpu')?.kernelFunc === ours;
};

export function registerWebGpuTrainingKernels(): void {
  for (const name of REPLACED_WEBGPU_KERNELS) {
    if (isInstalled(name)) continue;
    const current = getKernel(name, 'webgpu');
    if (current == null)
      throw new Error(`webgpu kernel '${name}' is not registered: import the webgpu backend`);
    // The stock config is captured once: a later call must never wrap our own kernel.
    const original = originals.get(name) ?? current;
    originals.set(name, original);
    const config = makeWebGpuMatMulConfig(original);
    unregisterKernel(name, 'webgpu');
    registerKernel(config);
    installed.set(name, config.kernelFunc);
  }
}

/** True when every replacement registered by registerWebGpuTrainingKernels() is in effect. */
export const webgpuTrainingKernelsActive = (): boolean => REPLACED_WEBGPU_KERNELS.every(isInstalled);

/** The backend's own kernel that registerWebGpuTrainingKernels() replaced (for tests). */
export const originalWebGpuKernel = (name: string): KernelConfig | undefined => originals.get(name);
