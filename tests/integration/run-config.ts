import type { TrainConfig } from '../../train/config.ts';

/** A complete, small training run config for in-process tests; `over` sets what a test cares about. */
export const runConfig = (out: string, over: Partial<TrainConfig> = {}): TrainConfig => ({
  preset: 'fast-cond',
  steps: 6,
  epochs: null,
  maxMinutes: null,
  batchSize: 8,
  lr: 2e-4,
  beta1: 0.5,
  seed: 1,
  out,
  resume: false,
  backend: 'wasm',
  requireGpu: false,
  logEvery: 1000,
  sampleEvery: 1000,
  checkpointEvery: 1000,
  trainDigits: null,
  threads: 1,
  lrD: null,
  dWidth: 1,
  modeSeeking: 0,
  r1Gamma: 0,
  ema: true,
  annealFrom: null,
  ...over,
});
