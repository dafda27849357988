import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { errorMessage } from './errors.ts';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow' | 'wasm' | 'cpu'. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** What actually runs the math, for logs and the manifest. */
  device: string;
  gpu: boolean;
}

/** The fields tfjs-node's backend exposes about its device (not in tfjs-core's types). */
interface NodeBackendFlags {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/** Loads a package for its side effect (registering a backend); tests pass a stand-in. */
export type Importer = (pkg: string) => Promise<unknown>;
const nodeImport: Importer = (pkg) => import(pkg);

const cpuModel = (): string => `${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${cpus().length} cores)`;

/**
 * Neither tfjs-node package is a dependency (their installers download libtensorflow); the GPU
 * workflow installs one explicitly. The name is a variable so bundlers and tsc don't resolve it.
 */
async function tryImport(pkg: string, importer: Importer): Promise<string | null> {
  try {
    await importer(pkg);
    return null;
  } catch (e) {
    return errorMessage(e).split('\n')[0];
  }
}

async function useTensorflow(log: (line: string) => void, importer: Importer): Promise<BackendInfo | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const err = await tryImport(pkg, importer);
    if (err !== null) {
      log(`backend: ${pkg} not available (${err})`);
      continue;
    }
    // setBackend throws (rather than returning false) when the package registered its backend with
    // another copy of tfjs-core: fall through to the next option either way.
    const ok = await tf.setBackend('tensorflow').catch((e: unknown) => {
      log(`backend: ${pkg} loaded but its backend did not start (${errorMessage(e)})`);
      return false;
    });
    if (!ok) continue;
    const flags = tf.backend() as unknown as NodeBackendFlags;
    const gpu = flags.isUsingGpuDevice === true;
    if (flags.isGPUPackage && !gpu) {
      // tfjs-node-gpu quietly runs on the CPU when CUDA 11 / cuDNN 8 libraries are missing.
      log(
        '!!! WARNING: @tensorflow/tfjs-node-gpu loaded but TensorFlow found NO GPU device: it is running on the CPU.\n' +
          '!!! It needs CUDA 11.x and cuDNN 8 (libtensorflow 2.9.1); with CUDA 12 it silently falls back to the CPU.',
      );
    }
    return {
      name: 'tensorflow',
      gpu,
      device: gpu ? 'GPU (CUDA, libtensorflow)' : `CPU via libtensorflow: ${cpuModel()}`,
    };
  }
  return null;
}

async function useWasm(): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  const { registerWasmTrainingKernels } = await import('./kernels/wasm-training.ts');
  registerWasmTrainingKernels();
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  return { name: 'wasm', gpu: false, device: `WASM${simd ? ' SIMD' : ''}: ${cpuModel()}` };
}

/** Replaces tfjs-backend-cpu's ResizeNearestNeighborGrad, which is wrong for batch > 1. */
export async function registerCpuFixes(): Promise<void> {
  const { resizeNearestNeighborGradCpuConfig: fixed } = await import('./kernels/resize-nearest-grad-cpu.ts');
  if (tf.getKernel(fixed.kernelName, 'cpu')?.kernelFunc === fixed.kernelFunc) return;
  tf.unregisterKernel(fixed.kernelName, 'cpu');
  tf.registerKernel(fixed);
}

async function useCpu(): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await registerCpuFixes();
  return { name: 'cpu', gpu: false, device: `plain JS: ${cpuModel()}` };
}

/**
 * Picks the training backend. `auto` tries tfjs-node-gpu, tfjs-node, wasm, cpu in that order.
 * With `requireGpu`, anything but a real GPU device is an error.
 */
export async function selectBackend(
  choice: BackendChoice,
  requireGpu: boolean,
  log: (line: string) => void = (l) => console.error(l),
  importer: Importer = nodeImport,
): Promise<BackendInfo> {
  // Silences tfjs's "install tfjs-node" banner and per-op debug checks.
  tf.env().set('PROD', true);
  let info: BackendInfo | null = null;
  if (choice === 'auto' || choice === 'tensorflow') {
    info = await useTensorflow(log, importer);
    if (!info && choice === 'tensorflow') {
      throw new Error(
        '--backend tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded',
      );
    }
  }
  if (!info && choice === 'wasm') info = await useWasm();
  if (!info && choice === 'auto') {
    try {
      info = await useWasm();
    } catch (e) {
      log(`backend: wasm not available (${errorMessage(e)})`);
    }
  }
  if (!info) info = await useCpu();
  if (requireGpu && !info.gpu) {
    throw new Error(`--require-gpu: training would run on ${info.name} (${info.device}), not on a GPU`);
  }
  return info;
}
