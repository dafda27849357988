// Discriminator rejection sampling (Azadi et al. 2019, "Discriminator Rejection Sampling"): draw
// candidates from G, keep each with a probability that grows with D's calibrated estimate of how
// much likelier it is under the data than under G.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PIXELS } from '../../train/data/mnist.ts';
import type { Preset } from '../../train/models/presets.ts';
import type { Rng } from '../../train/rng.ts';
import { type Calibration, calibrated } from './calibrate.ts';
import { logits } from './discriminator.ts';

/** The paper's ε: keeps log(1 − e^(D̃ − log M − ε)) finite for the best candidate seen. */
const EPS = 1e-6;

/**
 * F of a candidate whose calibrated logit is `d` (Eq. 8): F = D̃ − log M − log(1 − exp(D̃ − log M − ε)) − γ;
 * it is accepted with probability σ(F). log M is the largest D̃ seen (D̃ ≤ log M); γ shifts every F
 * alike: a larger γ accepts fewer.
 */
export function acceptanceLogit(d: number, logM: number, gamma: number): number {
  if (!(d <= logM)) throw new Error(`rejection sampling: D̃ ${d} above log M ${logM}`);
  return d - logM - Math.log(-Math.expm1(d - logM - EPS)) - gamma;
}

export const acceptProbability = (d: number, logM: number, gamma: number): number =>
  1 / (1 + Math.exp(-acceptanceLogit(d, logM, gamma)));

/** `labels.length` digits from G in inference mode (`labels` ignored by unconditional presets), noise from `rng`. */
export function drawDigits(
  generator: LayersModel,
  preset: Preset,
  labels: Int32Array,
  rng: Rng,
): Float32Array {
  const n = labels.length;
  const images = new Float32Array(n * PIXELS);
  for (let i = 0; i < n; i += 500) {
    const m = Math.min(500, n - i);
    tf.tidy(() => {
      const z = tf.tensor2d(rng.normals(m * preset.latentDim), [m, preset.latentDim]);
      const inputs = preset.classes > 0 ? [z, tf.tensor2d(Array.from(labels.subarray(i, i + m)), [m, 1])] : z;
      images.set((generator.predict(inputs) as tf.Tensor).dataSync(), i * PIXELS);
    });
  }
  return images;
}

/** What rejection sampling needs: G, D and its calibration, M from a burn-in, D's batch. */
export interface Drs {
  generator: LayersModel;
  discriminator: LayersModel;
  preset: Preset;
  calibration: Calibration;
  /** log M: the largest D̃ over the burn-in. */
  logM: number;
  /** Candidates per generator/discriminator call (D's minibatch-stddev looks at the batch). */
  batch: number;
}

export interface DrsSamples {
  images: Float32Array;
  requested: Int32Array | null;
  candidates: number;
  accepted: number;
  /** Per class (conditional presets): candidates drawn and accepted. */
  perClass: { candidates: number; accepted: number }[] | null;
  /** log M at the end (raised whenever a candidate beat it, as in the paper's algorithm). */
  logM: number;
}

/**
 * Draws candidates in batches until every requested digit has one accepted (conditional presets:
 * `requested[i]` is the class of digit i; null asks for n unconditional digits). Candidates are
 * asked for the classes still missing, in turn, so a class that is accepted less often is drawn
 * more often. Stops with an error after `maxCandidates`.
 */
export function sampleWithRejection(
  drs: Drs,
  opts: { n: number; requested: Int32Array | null; gamma: number; rng: Rng; maxCandidates: number },
): DrsSamples {
  const { preset, batch } = drs;
  const classes = Math.max(preset.classes, 1);
  // Open slots per class, in order.
  const open: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < opts.n; i++) open[opts.requested ? opts.requested[i] : 0].push(i);
  const images = new Float32Array(opts.n * PIXELS);
  const perClass = Array.from({ length: classes }, () => ({ candidates: 0, accepted: 0 }));
  let logM = drs.logM;
  let candidates = 0;
  let accepted = 0;
  let filled = 0;
  let turn = 0;
  while (filled < opts.n) {
    if (candidates >= opts.maxCandidates)
      throw new Error(
        `rejection sampling accepted ${accepted} of ${candidates} candidates (${((100 * accepted) / candidates).toFixed(2)} %): too few; lower --gamma`,
      );
    // The classes still missing, one per open slot; candidates take them in turn.
    const missing = open.flatMap((slots, c) => slots.map(() => c));
    const labels = Int32Array.from({ length: batch }, (_, j) => missing[(turn + j) % missing.length]);
    turn += batch;
    const fake = drawDigits(drs.generator, preset, labels, opts.rng);
    const scores = logits(drs.discriminator, fake, preset.classes > 0 ? labels : null, batch);
    for (let j = 0; j < batch; j++) {
      const d = calibrated(drs.calibration, scores[j]);
      logM = Math.max(logM, d);
      const c = labels[j];
      candidates++;
      perClass[c].candidates++;
      if (opts.rng.uniform() >= acceptProbability(d, logM, opts.gamma)) continue;
      accepted++;
      perClass[c].accepted++;
      const slot = open[c].shift();
      if (slot === undefined) continue; // an extra of a class already complete
      images.set(fake.subarray(j * PIXELS, (j + 1) * PIXELS), slot * PIXELS);
      filled++;
    }
  }
  return {
    images,
    requested: opts.requested,
    candidates,
    accepted,
    perClass: preset.classes > 0 ? perClass : null,
    logM,
  };
}
