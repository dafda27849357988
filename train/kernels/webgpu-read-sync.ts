// tfjs's WebGPU backend reads tensors synchronously (dataSync) through an OffscreenCanvas, which
// Node lacks; the training loop, checkpoints and sample grids all read synchronously. Dawn in Node
// completes a buffer mapping only inside wgpuInstanceProcessEvents, which it schedules with the
// global setImmediate, one pending call at a time (dawn/node/binding/AsyncRunner.cpp). So Dawn's
// scheduled calls are routed through here: a synchronous read runs the pending one in place (the
// queued copy then does nothing) until its mapping is done. Nothing else runs meanwhile, as with any
// synchronous read.

interface Tick {
  run: () => void;
  done: boolean;
}
const pending = new Set<Tick>();
let routed = false;

/**
 * Dawn's event processing: an anonymous native function of no arguments (what N-API's
 * Function::New makes). A bound JavaScript function is native too, but named "bound …".
 */
const isDawnTick = (fn: unknown): fn is () => void =>
  typeof fn === 'function' &&
  fn.name === '' &&
  fn.length === 0 &&
  /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));

function runTick(tick: Tick): void {
  if (tick.done) return;
  tick.done = true;
  pending.delete(tick);
  tick.run();
}

/** Routes Dawn's setImmediate calls through `pending`. Call before Dawn schedules anything. */
export function routeDawnTicks(): void {
  if (routed) return;
  routed = true;
  const real = globalThis.setImmediate;
  const route = (fn: unknown, ...args: unknown[]) => {
    if (args.length || !isDawnTick(fn)) return real(fn as (...a: unknown[]) => void, ...args);
    const tick: Tick = { run: fn, done: false };
    pending.add(tick);
    return real(() => runTick(tick));
  };
  // Keeps util.promisify's hook and the rest of the real function's own properties.
  Object.defineProperties(route, Object.getOwnPropertyDescriptors(real));
  globalThis.setImmediate = route as typeof setImmediate;
}

/** Sleeps the thread without spinning (the GPU, or SwiftShader's threads, do the work meanwhile). */
const pause = (() => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms: number) => Atomics.wait(cell, 0, 0, ms);
})();

/** Maps `staging` (MAP_READ, its copy already submitted) and returns a copy of its bytes, synchronously. */
export function mapReadSync(staging: GPUBuffer): ArrayBuffer {
  // A failed mapping shows as mapState 'unmapped' below; the rejection itself needs no handling.
  staging.mapAsync(GPUMapMode.READ).catch(() => {});
  let wait = 0;
  while (staging.mapState === 'pending') {
    if (!pending.size)
      throw new Error('WebGPU: Dawn scheduled no event processing to wait on (routeDawnTicks() not called)');
    for (const tick of [...pending]) runTick(tick);
    if (staging.mapState === 'pending') {
      pause(wait);
      wait = Math.min(1, wait + 0.05);
    }
  }
  if (staging.mapState !== 'mapped') throw new Error('WebGPU: mapping a buffer for reading failed');
  const bytes = staging.getMappedRange().slice(0);
  staging.unmap();
  return bytes;
}
