import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { errorMessage } from '../lib/errors.ts';
import { no, ok, type Result } from '../lib/result.ts';
import { type AdapterFacts, adapterName, describeAdapter } from './kernels/webgpu-device.ts';
import { probeWebGpu } from './kernels/webgpu-probe.ts';

export const BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** tfjs backend name. */
  name: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /** What actually runs the math, for logs and the manifest. */
  device: string;
  gpu: boolean;
}

/** The routes `--backend auto` tries, in order. */
export const ROUTES = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type Route = (typeof ROUTES)[number];

/** What became of one route: used, or skipped and why (the job summary shows these). */
export interface RouteOutcome {
  route: Route;
  used: boolean;
  why?: string;
}

/** The backend that runs, and what became of each route tried before it. */
export interface SelectedBackend extends BackendInfo {
  routes: RouteOutcome[];
}

/** Backends that run each op on their device themselves: one training thread, no replicas. */
export const runsOpsItself = (name: BackendInfo['name']): boolean =>
  name === 'tensorflow' || name === 'webgpu';

/** The fields tfjs-node's backend exposes about its device (not in tfjs-core's types). */
interface NodeBackendFlags {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/** Loads a package for its side effect (registering a backend); tests pass a stand-in. */
export type Importer = (pkg: string) => Promise<unknown>;
const nodeImport: Importer = (pkg) => import(pkg);

/** How `auto` reaches WebGPU; tests pass stand-ins. */
export interface WebGpuRoute {
  /** Which adapter this machine offers, or why none (without starting anything here). */
  probe: () => Promise<Result<AdapterFacts>>;
  /** Starts the 'webgpu' backend in this process, or says why not. */
  start: () => Promise<Result<{ info: BackendInfo; facts: AdapterFacts }>>;
}

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

const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';

/** Loads a tfjs-node package and starts its 'tensorflow' backend, or says why not. */
async function startTensorflow(pkg: string, importer: Importer): Promise<Result<BackendInfo>> {
  const err = await tryImport(pkg, importer);
  if (err !== null) return no(`${pkg} not available (${err})`);
  // setBackend throws (rather than returning false) when the package registered its backend with
  // another copy of tfjs-core: fall through to the next option either way.
  const failure = await tf.setBackend('tensorflow').then(
    (ok) => (ok ? null : 'did not start'),
    (e: unknown) => errorMessage(e),
  );
  if (failure !== null) return no(`${pkg} loaded but its backend did not start (${failure})`);
  const flags = tf.backend() as unknown as NodeBackendFlags;
  const gpu = flags.isUsingGpuDevice === true;
  return ok({
    name: 'tensorflow',
    gpu,
    device: gpu ? 'GPU (CUDA, libtensorflow)' : `CPU via libtensorflow: ${cpuModel()}`,
  });
}

// tfjs-node-gpu quietly runs on the CPU when CUDA 11 / cuDNN 8 libraries are missing.
const NO_CUDA_WARNING =
  '!!! WARNING: @tensorflow/tfjs-node-gpu loaded but TensorFlow found NO GPU device: it is running on the CPU.\n' +
  '!!! It needs CUDA 11.x and cuDNN 8 (libtensorflow 2.9.1); with CUDA 12 it silently falls back to the CPU.';

/**
 * Starts tfjs's WebGPU backend on Dawn in this process (webgpu-device.ts, webgpu-backend.ts) with
 * the project's kernel fixes, or says why not.
 */
export async function startWebGpu(): Promise<Result<{ info: BackendInfo; facts: AdapterFacts }>> {
  // Before Dawn gives Node a navigator.gpu: the package then registers its kernels but not its own factory.
  await import('@tensorflow/tfjs-backend-webgpu');
  const { requestNodeAdapter } = await import('./kernels/webgpu-device.ts');
  const { registerNodeWebGpuBackend } = await import('./kernels/webgpu-backend.ts');
  const { registerWebGpuTrainingKernels } = await import('./kernels/webgpu-training.ts');
  const found = await requestNodeAdapter();
  if (!found.ok) return found;
  const gpu = found.value;
  registerNodeWebGpuBackend(gpu.adapter);
  if (!(await tf.setBackend('webgpu'))) return no('its backend did not start');
  registerWebGpuTrainingKernels();
  return ok({
    info: { name: 'webgpu', gpu: !gpu.facts.fallback, device: describeAdapter(gpu.facts) },
    facts: gpu.facts,
  });
}

// SwiftShader ran a fast-cond step (batch 64) about 100x slower than wasm on the same cores (npm run bench:train).
const FALLBACK_NOTE = 'a fallback (software) adapter: correct, but slower than wasm';

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
 * `--backend auto`: the GPU routes first (tfjs-node-gpu on a GPU device, then WebGPU on a hardware
 * adapter), then the CPU ones (tfjs-node, wasm, cpu), recording (and logging) why each one before
 * was skipped. A tfjs-node-gpu that found no GPU device is kept as the CPU route tfjs-node would have been.
 */
async function autoBackend(
  log: (line: string) => void,
  importer: Importer,
  webgpu: WebGpuRoute,
): Promise<SelectedBackend> {
  const routes: RouteOutcome[] = [];
  const skip = (route: Route, why: string, line = `backend: ${route} skipped: ${why}`) => {
    routes.push({ route, used: false, why });
    log(line);
  };
  const use = (route: Route, info: BackendInfo): SelectedBackend => ({
    ...info,
    routes: [...routes, { route, used: true }],
  });

  let cpuTensorflow: BackendInfo | null = null;
  const tfGpu = await startTensorflow(TFJS_NODE_GPU, importer);
  if (!tfGpu.ok) skip('tfjs-node-gpu', tfGpu.why, `backend: ${tfGpu.why}`);
  else if (tfGpu.value.gpu) return use('tfjs-node-gpu', tfGpu.value);
  else {
    log(NO_CUDA_WARNING);
    skip(
      'tfjs-node-gpu',
      'TensorFlow found no GPU device (CUDA 11.x and cuDNN 8 missing?): kept as the CPU route',
      `backend: ${TFJS_NODE_GPU} skipped for now: no GPU device (kept as the CPU route)`,
    );
    cpuTensorflow = tfGpu.value;
  }

  const found = await webgpu.probe();
  if (!found.ok)
    skip('webgpu', `not available (${found.why})`, `backend: WebGPU not available (${found.why})`);
  else if (found.value.fallback)
    skip(
      'webgpu',
      `its only adapter (${adapterName(found.value)}) is ${FALLBACK_NOTE}`,
      `backend: WebGPU skipped: its only adapter (${adapterName(found.value)}) is ${FALLBACK_NOTE}`,
    );
  else {
    const started = await webgpu.start();
    if (started.ok && started.value.info.gpu) return use('webgpu', started.value.info);
    const why = started.ok ? `in this process Dawn offered ${FALLBACK_NOTE}` : started.why;
    skip('webgpu', why, `backend: WebGPU skipped: ${why}`);
  }

  if (cpuTensorflow) {
    await tf.setBackend('tensorflow');
    return use('tfjs-node-gpu', cpuTensorflow);
  }
  const tfCpu = await startTensorflow(TFJS_NODE, importer);
  if (tfCpu.ok) return use('tfjs-node', tfCpu.value);
  skip('tfjs-node', tfCpu.why, `backend: ${tfCpu.why}`);
  try {
    return use('wasm', await useWasm());
  } catch (e) {
    skip('wasm', `not available (${errorMessage(e)})`, `backend: wasm not available (${errorMessage(e)})`);
  }
  return use('cpu', await useCpu());
}

/** `--backend tensorflow`: tfjs-node-gpu, else tfjs-node. */
async function tensorflowBackend(log: (line: string) => void, importer: Importer): Promise<BackendInfo> {
  for (const pkg of [TFJS_NODE_GPU, TFJS_NODE]) {
    const r = await startTensorflow(pkg, importer);
    if (r.ok) {
      if (pkg === TFJS_NODE_GPU && !r.value.gpu) log(NO_CUDA_WARNING);
      return r.value;
    }
    log(`backend: ${r.why}`);
  }
  throw new Error(`--backend tensorflow: neither ${TFJS_NODE_GPU} nor ${TFJS_NODE} could be loaded`);
}

/** `--backend webgpu`: any adapter Dawn offers; a software one is said to be one. */
async function webgpuBackend(log: (line: string) => void, webgpu: WebGpuRoute): Promise<BackendInfo> {
  const started = await webgpu.start();
  if (!started.ok) throw new Error(`--backend webgpu: no WebGPU (${started.why})`);
  const { facts, info } = started.value;
  if (facts.fallback) log(`note: WebGPU runs on ${FALLBACK_NOTE} (${adapterName(facts)})`);
  return info;
}

/**
 * Picks the training backend (see autoBackend for `auto`). With `requireGpu`, anything but a real
 * GPU device is an error: tfjs-node-gpu on the CPU, or WebGPU on a software adapter.
 */
export async function selectBackend(
  choice: BackendChoice,
  requireGpu: boolean,
  log: (line: string) => void = (l) => console.error(l),
  importer: Importer = nodeImport,
  webgpu: WebGpuRoute = { probe: () => probeWebGpu(), start: startWebGpu },
): Promise<SelectedBackend> {
  // Silences tfjs's "install tfjs-node" banner and per-op debug checks.
  tf.env().set('PROD', true);
  const asked = (route: Route, info: BackendInfo): SelectedBackend => ({
    ...info,
    routes: [{ route, used: true }],
  });
  const info =
    choice === 'auto'
      ? await autoBackend(log, importer, webgpu)
      : choice === 'tensorflow'
        ? await tensorflowBackend(log, importer).then((i) => asked(i.gpu ? 'tfjs-node-gpu' : 'tfjs-node', i))
        : choice === 'webgpu'
          ? asked('webgpu', await webgpuBackend(log, webgpu))
          : choice === 'wasm'
            ? asked('wasm', await useWasm())
            : asked('cpu', await useCpu());
  if (info.name === 'webgpu') log(`backend: WebGPU adapter: ${info.device}`);
  if (requireGpu && !info.gpu) {
    throw new Error(`--require-gpu: training would run on ${info.name} (${info.device}), not on a GPU`);
  }
  return info;
}
