// What the page asks of the engine (the module worker that downloads, verifies and runs the model)
// and what it hears back. Types only: the page's own script carries none of the engine's code.
import type { Manifest, VersionList } from '../../../contract/index.ts';
import type { BackendChoice } from '../url-state.ts';

export type LoadState = 'loading' | 'downloading' | 'no-model' | 'offline' | 'integrity' | 'error';

export type EngineEvent =
  | { type: 'status'; state: LoadState; text: string }
  | { type: 'progress'; version: string; loaded: number; total: number; fromCache: number }
  /** Something the visitor should know that does not stop the page (a fallback, a skipped backend). */
  | { type: 'note'; text: string }
  /** The runtime changed after start (WebGPU device lost → WASM): draw again. */
  | { type: 'runtime'; runtime: RuntimeInfo };

export interface RuntimeInfo {
  label: string;
  kind: 'webgpu' | 'wasm' | 'cpu';
  initMs: number;
}

/** A hardware WebGPU adapter exists (ok), or why WebGPU is passed over (engine/webgpu-probe.ts). */
export interface WebgpuVerdict {
  ok: boolean;
  reason: string;
}

export interface StartOptions {
  backend: BackendChoice | null;
  /** WASM threads (?threads=), instead of the engine's own choice. */
  threads: number | null;
  /** The last manifest that ran here (the page keeps it in localStorage, which workers lack). */
  lastGood: string | null;
  /** The page asked for a WebGPU adapter as it started and hands the verdict over with `webgpuProbed`. */
  webgpuOnPage: boolean;
}

/**
 * What the page's request for the manifest got (web/src/manifest-request.ts): the server's answer,
 * or that it could not be reached. The page starts it with itself; the engine reads it.
 */
export type ManifestAnswer = { status: number; body: string } | { unreachable: 'offline' | 'timeout' };

export interface Started {
  manifest: Manifest;
  runtime: RuntimeInfo;
}

/** What to draw: a grid of n digits (one class or any), a style grid, or a frame of a walk. */
export type DrawSpec =
  | { view: 'grid'; n: number; seed: number; digit: number | 'any'; walkTo?: { seed: number; t: number } }
  | { view: 'styles'; rows: number; seed: number; walkTo?: { seed: number; t: number } };

export interface Drawn {
  /** RGBA, width × height, one pixel per model pixel. */
  rgba: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
  /** How many digits, and how many per row. */
  n: number;
  cols: number;
  /** Time on the backend (latents to pixels read back). */
  ms: number;
  /** Style grids: the rows (0-based) the style-row filter gave new noise (contract/style-filter.ts). */
  redrawn?: number[];
}

/** One request as Resource Timing saw it, in ms since the epoch (the page and the worker have different time origins). */
export interface RequestTiming {
  url: string;
  start: number;
  /** When the first response byte arrived: from start to here is mostly the server's time. */
  firstByte: number;
  end: number;
  bytes: number;
}

/** A performance mark (no duration) or measure of a thread, in ms since the epoch. */
export interface Mark {
  name: string;
  start: number;
  end: number;
}

export interface EngineApi {
  /**
   * Resolves with the model and runtime, or null when there is nothing to run (the status event
   * says why). It reads the manifest the page hands over with `manifestAnswered`.
   */
  start(opts: StartOptions, onEvent: (e: EngineEvent) => void): Promise<Started | null>;
  /**
   * The page's request for the manifest has its answer (before or after `start`). `firstVisit`:
   * this browser holds no model files yet, so the engine downloads the answer's at once, before it
   * has checked the answer (model-files.ts); else it looks in its cache first.
   */
  manifestAnswered(answer: ManifestAnswer, firstVisit: boolean): Promise<void>;
  /** The page's WebGPU verdict (when `webgpuOnPage`): the engine's runtime choice waits for it. */
  webgpuProbed(verdict: WebgpuVerdict): Promise<void>;
  draw(spec: DrawSpec): Promise<Drawn>;
  /** One page of the published versions, newest first (validated against the contract). */
  versions(): Promise<VersionList>;
}

/** One kernel of a generator call: its name, its first input's and its output's shapes, its time. */
export interface KernelTime {
  kernel: string;
  input: string;
  output: string;
  ms: number;
}

/**
 * What the engine adds in the test build only (npm run build:web:test; web/src/engine/debug.ts),
 * for the benchmarks and browser tests. The production engine has none of it.
 */
export interface EngineDebugApi {
  /** The generator alone: the first call and the median of `reps` warm ones. */
  benchTime(n: number, reps: number): Promise<{ firstMs: number; warmMedianMs: number }>;
  /** The backend's speed on a plain size × size matmul. */
  matmulGflops(size: number, reps: number): Promise<number>;
  /** One warm call of n digits kernel by kernel, in call order: each kernel's median ms of `reps`. */
  kernelProfile(n: number, reps: number): Promise<KernelTime[]>;
  /** Loses the WebGPU device as a driver reset would (no-op on other backends). */
  loseDevice(): Promise<void>;
  /** The engine's own requests so far (scripts, WASM, manifest, files). */
  requestTimings(): Promise<RequestTiming[]>;
  /** The engine's marks and measures so far (its steps: runtime plan, WASM compile, files, …). */
  stepMarks(): Promise<Mark[]>;
}
