// tfjs's WebGPU backend, started in Node on a Dawn adapter (webgpu-device.ts). It is registered
// here rather than by the package, whose own factory runs only where `navigator.gpu` existed when
// it was imported, picks its own adapter, and reads synchronously through an OffscreenCanvas.
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import {
  type BackendValues,
  type DataType,
  engine,
  findBackendFactory,
  registerBackend,
  removeBackend,
  util,
} from '@tensorflow/tfjs-core';
import { mapReadSync } from './webgpu-read-sync.ts';

/** The parts of WebGPUBackend's state a synchronous read needs (public at run time, not in its types). */
interface Internals {
  tensorMap: { get(dataId: object): { values: BackendValues | null; dtype: DataType; resource?: unknown } };
  bufferManager: {
    acquireBuffer(size: number, usage: number): GPUBuffer;
    releaseBuffer(buffer: GPUBuffer): void;
  };
  convertAndCacheOnCPU(dataId: object, values: BackendValues): BackendValues;
}

/** tfjs's WebGPU backend with a synchronous read that works in Node. */
class NodeWebGPUBackend extends WebGPUBackend {
  override readSync(dataId: object): BackendValues {
    const self = this as unknown as Internals;
    const data = self.tensorMap.get(dataId);
    // Values already on the CPU, strings, and complex numbers (read as two float tensors) as tfjs does.
    if (data.values != null || data.dtype === 'string' || data.dtype === 'complex64')
      return super.readSync(dataId);
    const source = data.resource as GPUBuffer;
    const staging = self.bufferManager.acquireBuffer(
      source.size,
      GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    );
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    (this as unknown as { commandEncoder: GPUCommandEncoder }).commandEncoder.copyBufferToBuffer(
      source,
      0,
      staging,
      0,
      source.size,
    );
    this.submitQueue();
    const bytes = mapReadSync(staging);
    self.bufferManager.releaseBuffer(staging);
    return self.convertAndCacheOnCPU(dataId, util.convertBackendValuesAndArrayBuffer(bytes, data.dtype));
  }
}

/** Registers backend 'webgpu' on `adapter`'s device (replacing any earlier registration). */
export function registerNodeWebGpuBackend(adapter: GPUAdapter): void {
  if (findBackendFactory('webgpu') != null) {
    // A backend already started keeps its device; only a never-started one is replaced.
    if (engine().registry.webgpu != null) return;
    removeBackend('webgpu');
  }
  registerBackend('webgpu', async () => {
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      // tf.time() and tf.profile() report kernel times where the adapter can time them.
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      // The limits tfjs's own factory asks for: the adapter's, not WebGPU's portable defaults.
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new NodeWebGPUBackend(device, adapter.info);
  });
}
