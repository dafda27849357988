// The engine's half of the debug interface (the page's half, and the whole interface, are described
// in web/src/debug.ts). Only the test build (npm run build:web:test) reaches this module: worker.ts
// imports it under `__DEBUG_HOOKS__`, which the production build sets to false, so it is not bundled.
import type { latents, Manifest } from '../../../contract/index.ts';
import type { EngineDebugApi, KernelTime } from './api.ts';
import type { Generator } from './generator.ts';
import { marks, requestTimings } from './request-timings.ts';
import type { Tf } from './runtime.ts';

/** What the engine has once started: read when a method is called (a lost device replaces it). */
export interface Loaded {
  tf: Tf;
  generator: Generator;
  manifest: Manifest;
  /** The contract's sampler, from the engine's own chunk (so that this module adds no copy of the contract). */
  latents: typeof latents;
}

export function engineDebug(loaded: () => Loaded): EngineDebugApi {
  return {
    async benchTime(n, reps) {
      const { generator, manifest, latents } = loaded();
      const l = latents(7, n, manifest.latentDim, manifest.classes, 'any');
      const firstMs = (await generator.generate(l, n)).ms;
      const warm: number[] = [];
      for (let i = 0; i < reps; i++) warm.push((await generator.generate(l, n)).ms);
      warm.sort((a, b) => a - b);
      return { firstMs, warmMedianMs: warm[Math.floor(warm.length / 2)] };
    },

    async matmulGflops(size, reps) {
      const { tf } = loaded();
      const a = tf.randomNormal([size, size]);
      const b = tf.randomNormal([size, size]);
      await tf.matMul(a, b).data(); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const c = tf.matMul(a, b);
        await c.data();
        c.dispose();
      }
      const s = (performance.now() - t0) / 1000 / reps;
      a.dispose();
      b.dispose();
      return (2 * size ** 3) / s / 1e9;
    },

    async kernelProfile(n, reps) {
      const { tf, generator, manifest, latents } = loaded();
      const l = latents(7, n, manifest.latentDim, manifest.classes, 'any');
      await generator.generate(l, n); // the first call sets kernels up; profile warm ones
      let order: Omit<KernelTime, 'ms'>[] = [];
      const times: number[][] = [];
      for (let r = 0; r < reps; r++) {
        const info = await tf.profile(async () => {
          await generator.generate(l, n);
        });
        order = info.kernels.map((k) => ({
          kernel: k.name,
          input: k.inputShapes[0]?.join('×') ?? '',
          output: k.outputShapes[0]?.join('×') ?? '',
        }));
        info.kernels.forEach((k, i) => {
          times[i] ??= [];
          times[i].push(Number(k.kernelTimeMs));
        });
      }
      return order.map((k, i) => {
        const sorted = [...times[i]].sort((a, b) => a - b);
        return { ...k, ms: sorted[sorted.length >> 1] };
      });
    },

    async loseDevice() {
      (loaded().tf.backend() as unknown as { device?: GPUDevice }).device?.destroy();
    },

    requestTimings: async () => requestTimings(),
    stepMarks: async () => marks(),
  };
}
