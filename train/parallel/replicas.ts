import { Worker } from 'node:worker_threads';
import type { BackendInfo } from '../backend.ts';
import { type BatchArrays, shardOf } from '../batches.ts';
import { captureState } from '../checkpoint.ts';
import type { GanRecipe, GanTrainer, StepStats } from '../gan.ts';
import type { PresetName } from '../models/presets.ts';
import type { Rng } from '../rng.ts';
import type { FromReplica, ReplicaInit, ToReplica } from './messages.ts';
import { applyAveraged, average, type ShardResult, shardGradients } from './shard-step.ts';

/**
 * Synchronous data-parallel training over worker threads, so CPU training uses every core.
 *
 * Why this and not tfjs-backend-wasm's threaded build: that build parallelises only XNNPACK's
 * convolutions and matmuls inside one op, while a GAN step is hundreds of small ops (element-wise
 * maths, our training kernels, Adam) that would stay serial; and its Node path has threads
 * hard-coded off. Splitting the batch instead parallelises the whole step: measured on this
 * machine a step costs time in proportion to its batch (fast-cond, batch 64: 239 ms; 32: 119 ms).
 *
 * Each step the main thread (replica 0) sends every other replica its equal, consecutive share of
 * the batch; all compute their gradients at once; the main thread averages them in a fixed order
 * and every replica applies the same average with its own identical Adam, so the copies never
 * drift and a run is deterministic for a given thread count. Consequences, stated: BatchNorm and
 * the minibatch-stddev feature see batch/threads digits (per-replica batch statistics); BatchNorm's
 * moving statistics are averaged over replicas each step; dropout masks (tutorial's D) come from a
 * per-replica seed drawn from the run's RNG; top-k training keeps the best share of each shard's
 * fakes, not of the whole batch's (the same share, chosen locally: no extra exchange per step).
 * One thread is today's single-threaded step, exactly.
 */
export class Replicas {
  private failure: Error | null = null;
  private readonly waiting: Array<Array<{ ok: (m: FromReplica) => void; fail: (e: Error) => void }>>;
  private closing = false;

  private constructor(
    private readonly gan: GanTrainer,
    private readonly workers: Worker[],
  ) {
    this.waiting = workers.map(() => []);
    workers.forEach((w, k) => {
      const index = k + 1;
      w.on('message', (m: FromReplica) => {
        if (m.type === 'failed') this.fail(new Error(`training thread ${index} failed: ${m.message}`));
        else this.waiting[k].shift()?.ok(m);
      });
      w.on('error', (e) => this.fail(new Error(`training thread ${index} crashed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closing)
          this.fail(new Error(`training thread ${index} stopped unexpectedly (exit code ${code})`));
      });
    });
  }

  /** Starts `threads - 1` replica threads holding exact copies of `gan` (weights and optimizer state). */
  static async start(
    gan: GanTrainer,
    threads: number,
    opts: { preset: PresetName; backend: BackendInfo['name']; recipe: GanRecipe },
  ): Promise<Replicas> {
    const entry = new URL('./replica.ts', import.meta.url).href;
    const workers = Array.from({ length: threads - 1 }, (_, k) => {
      const init: ReplicaInit = { entry, index: k + 1, ...opts };
      return new Worker(new URL('./boot.mjs', import.meta.url), { workerData: init });
    });
    const r = new Replicas(gan, workers);
    try {
      const snapshot = await captureState(gan); // G and D with their optimizers (no EMA: not needed there)
      await Promise.all(workers.map((_, k) => r.request(k, { type: 'state', snapshot })));
    } catch (e) {
      await r.close();
      throw e;
    }
    return r;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * One training step on `batch`, split over all replicas, at a learning-rate scale and a top-k
   * share (each replica keeps that share of its own shard's fakes); returns the whole batch's numbers.
   */
  async step(batch: BatchArrays, rng: Rng, lrScale = 1, topK = 1): Promise<StepStats> {
    const parts = this.threads;
    const pending = this.workers.map((_, k) =>
      this.request(k, { type: 'step', shard: shardOf(batch, k + 1, parts), dropoutSeed: rng.seed(), topK }),
    );
    const own = shardGradients(this.gan, shardOf(batch, 0, parts), topK);
    const others = (await Promise.all(pending)) as ShardResult[];
    const all = [own, ...others];
    const grads = average(all.map((r) => r.grads));
    const moving = average(all.map((r) => r.moving));
    for (const w of this.workers) this.post(w, { type: 'apply', grads, moving, lrScale });
    applyAveraged(this.gan, grads, moving, lrScale);
    const [dLoss, gLoss, dReal, dFake] = average(all.map((r) => r.stats));
    return { dLoss, gLoss, dReal, dFake };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** For tests: ends replica thread `index` (1-based) as a crash would. */
  async kill(index: number): Promise<void> {
    await this.workers[index - 1].terminate();
  }

  private post(w: Worker, m: ToReplica): void {
    if (m.type === 'step') {
      const s = m.shard;
      const buffers = [s.real, s.realLabels, s.noise, s.fakeLabels].filter((a) => a !== null);
      w.postMessage(m, buffers.map((a) => a.buffer) as ArrayBuffer[]);
    } else {
      w.postMessage(m);
    }
  }

  private request(k: number, m: ToReplica): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((ok, fail) => {
      this.waiting[k].push({ ok, fail });
      this.post(this.workers[k], m);
    });
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const queue of this.waiting) for (const w of queue.splice(0)) w.fail(e);
  }
}
