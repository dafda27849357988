// Makes the wasm backend trainable and fast for conv nets: adds the missing Conv2DBackpropFilter and
// UnsortedSegmentSum kernels, speeds up ResizeNearestNeighborGrad,
// replaces the slow Conv2DBackpropInput and transposed BatchMatMul paths, and swaps the FusedBatchNorm
// gradient for a Tile-free one. Call registerWasmTrainingKernels() right after
// `await tf.setBackend('wasm')`; calling it again is a no-op. Call it after @tensorflow/tfjs-layers (which
// registers tfjs-core's gradients) has been imported, or that import puts the stock BN gradient back;
// wasmTrainingKernelsActive() tells whether everything is still in place.
import {
  BatchMatMul,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedBatchNorm,
  type GradConfig,
  getGradient,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  ResizeNearestNeighborGrad,
  registerGradient,
  registerKernel,
  UnsortedSegmentSum,
  unregisterGradient,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { makeBatchMatMulConfig } from './batch-matmul.ts';
import { batchNormGradConfig } from './batchnorm-grad.ts';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { makeConv2DBackpropInputConfig } from './conv2d-backprop-input.ts';
import { makeResizeNearestNeighborGradConfig } from './resize-nearest-grad.ts';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.ts';

export const REPLACED_WASM_KERNELS = [Conv2DBackpropInput, BatchMatMul, ResizeNearestNeighborGrad] as const;
export const ADDED_WASM_KERNELS = [Conv2DBackpropFilter, UnsortedSegmentSum] as const;

// Stock configs captured before the first replacement; later calls must never capture our own kernels.
const originalKernels = new Map<string, KernelConfig>();
const installedKernels = new Map<string, KernelFunc>();
let stockBatchNormGrad: GradConfig | undefined;

function install(config: KernelConfig): void {
  if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
  registerKernel(config);
  installedKernels.set(config.kernelName, config.kernelFunc);
}

function isInstalled(kernelName: string): boolean {
  const ours = installedKernels.get(kernelName);
  return ours != null && getKernel(kernelName, 'wasm')?.kernelFunc === ours;
}

function replaceKernel(kernelName: string, make: (original: KernelConfig) => KernelConfig): void {
  const current = getKernel(kernelName, 'wasm');
  if (current == null)
    throw new Error(`wasm kernel '${kernelName}' is not registered: import the wasm backend`);
  if (isInstalled(kernelName)) return;
  const original = originalKernels.get(kernelName) ?? current;
  originalKernels.set(kernelName, original);
  install(make(original));
}

export function registerWasmTrainingKernels(): void {
  if (!isInstalled(Conv2DBackpropFilter)) install(conv2DBackpropFilterConfig);
  // The Embedding layer's gradient (Gather's), missing from wasm.
  if (!isInstalled(UnsortedSegmentSum)) install(unsortedSegmentSumConfig);
  replaceKernel(Conv2DBackpropInput, makeConv2DBackpropInputConfig);
  replaceKernel(BatchMatMul, makeBatchMatMulConfig);
  replaceKernel(ResizeNearestNeighborGrad, makeResizeNearestNeighborGradConfig);

  const grad = getGradient(FusedBatchNorm);
  if (grad !== batchNormGradConfig) {
    // Absent when nothing has imported tfjs-core's gradients yet (tfjs-layers does); ours is self-contained.
    if (grad != null) {
      stockBatchNormGrad ??= grad;
      // Unregister first: registerGradient warns about overrides in debug mode.
      unregisterGradient(FusedBatchNorm);
    }
    registerGradient(batchNormGradConfig);
  }
}

/** True when every kernel and gradient installed by registerWasmTrainingKernels() is the one in effect. */
export function wasmTrainingKernelsActive(): boolean {
  return (
    [...ADDED_WASM_KERNELS, ...REPLACED_WASM_KERNELS].every(isInstalled) &&
    getGradient(FusedBatchNorm) === batchNormGradConfig
  );
}

/** The wasm backend's own kernel that registerWasmTrainingKernels() replaced (for tests and benchmarks). */
export function originalWasmKernel(kernelName: string): KernelConfig | undefined {
  return originalKernels.get(kernelName);
}

/** tfjs-core's stock FusedBatchNorm gradient as registered before the override (if any was). */
export function stockBatchNormGradConfig(): GradConfig | undefined {
  return stockBatchNormGrad;
}
