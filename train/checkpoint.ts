import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { errorMessage } from '../lib/errors.ts';
import { readableDir, replaceDir } from '../lib/fs-atomic.ts';
import { sha256 } from '../lib/hash.ts';

/**
 * A checkpoint is a folder `checkpoint/` holding `state.json` and `weights.bin` (every tensor as
 * float32, back to back). It is written with replaceDir, so a kill at any moment leaves either the
 * previous checkpoint or the new one, never a half-written one.
 */
export const CHECKPOINT = 'checkpoint';

const tensorSpec = z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()) });
const stateSchema = z.object({
  format: z.literal(1),
  step: z.number().int().nonnegative(),
  createdAt: z.string(),
  /** The run's settings, as the caller defines them (validated by the caller). */
  config: z.record(z.string(), z.unknown()),
  rng: z.unknown(),
  backend: z.string(),
  device: z.string(),
  /** Wall-clock seconds of training up to this step, summed over resumes. */
  seconds: z.number().nonnegative(),
  sections: z.object({
    generator: z.array(tensorSpec),
    discriminator: z.array(tensorSpec),
    gOptimizer: z.array(tensorSpec),
    dOptimizer: z.array(tensorSpec),
    /** The generator's moving average (absent in checkpoints made before it existed). */
    ema: z.array(tensorSpec).optional(),
  }),
  /** Adam's running β₁ᵗ, β₂ᵗ per optimizer (see adamPowers). */
  adamPowers: z.object({ g: z.array(z.number()), d: z.array(z.number()) }),
  weightsBytes: z.number().int().nonnegative(),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CheckpointState = z.infer<typeof stateSchema>;
type Sections = CheckpointState['sections'];

export interface TrainingState {
  generator: LayersModel;
  discriminator: LayersModel;
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
  /** The generator's moving average, when the run keeps one. */
  ema?: LayersModel;
}

export class CheckpointError extends Error {
  constructor(dir: string, problem: string) {
    super(`checkpoint in ${dir}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/**
 * tfjs's Adam keeps β₁ᵗ and β₂ᵗ as running products, but setWeights recomputes them with pow, which
 * differs in the last bits; a resumed run would then drift from an uninterrupted one. So they are
 * saved and restored as they are (private fields of tfjs-core's AdamOptimizer).
 */
function adamPowers(opt: tf.Optimizer): tf.Variable[] {
  const o = opt as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!(o.accBeta1 instanceof tf.Variable && o.accBeta2 instanceof tf.Variable)) {
    throw new Error(
      'checkpoint: this tfjs Adam has no accBeta1/accBeta2; exact resume needs them (tfjs-core 4.22)',
    );
  }
  return [o.accBeta1, o.accBeta2];
}

interface Named {
  name: string;
  tensor: tf.Tensor;
}

const modelTensors = (m: LayersModel): Named[] =>
  m.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));

async function collect(s: TrainingState): Promise<Partial<Record<keyof Sections, Named[]>>> {
  return {
    generator: modelTensors(s.generator),
    discriminator: modelTensors(s.discriminator),
    gOptimizer: await s.gOptimizer.getWeights(),
    dOptimizer: await s.dOptimizer.getWeights(),
    ...(s.ema ? { ema: modelTensors(s.ema) } : {}),
  };
}

/** A training state as plain arrays: what a checkpoint stores and what replicas start from. */
export interface StateSnapshot {
  tensors: SectionTensors;
  adamPowers: CheckpointState['adamPowers'];
}

/** Copies every weight and optimizer slot out of the models (float32; Adam's int32 step counter is exact). */
export async function captureState(s: TrainingState): Promise<StateSnapshot> {
  const all = await collect(s);
  const tensors = {} as SectionTensors;
  for (const key of Object.keys(all) as (keyof Sections)[]) {
    tensors[key] = all[key]!.map(({ name, tensor }) => ({
      name,
      shape: tensor.shape,
      values: Float32Array.from(tensor.dataSync()),
    }));
  }
  // Optimizer.getWeights() makes a fresh step-counter scalar each call; the rest are its variables.
  tf.dispose([all.gOptimizer![0].tensor, all.dOptimizer![0].tensor]);
  return {
    tensors,
    adamPowers: {
      g: adamPowers(s.gOptimizer).map((v) => v.dataSync()[0]),
      d: adamPowers(s.dOptimizer).map((v) => v.dataSync()[0]),
    },
  };
}

export async function saveCheckpoint(
  outDir: string,
  s: TrainingState,
  meta: {
    step: number;
    config: Record<string, unknown>;
    rng: unknown;
    backend: string;
    device: string;
    seconds: number;
  },
): Promise<void> {
  const snap = await captureState(s);
  const parts: Uint8Array[] = [];
  const sections = {} as Sections;
  for (const key of Object.keys(snap.tensors) as (keyof Sections)[]) {
    sections[key] = snap.tensors[key]!.map(({ name, shape, values }) => {
      parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      return { name, shape };
    });
  }
  const weights = Buffer.concat(parts);
  const state: CheckpointState = {
    format: 1,
    step: meta.step,
    createdAt: new Date().toISOString(),
    config: meta.config,
    rng: meta.rng,
    backend: meta.backend,
    device: meta.device,
    seconds: meta.seconds,
    sections,
    adamPowers: snap.adamPowers,
    weightsBytes: weights.length,
    weightsSha256: sha256(weights),
  };

  replaceDir(join(outDir, CHECKPOINT), (tmp) => {
    writeFileSync(join(tmp, 'weights.bin'), weights);
    writeFileSync(join(tmp, 'state.json'), `${JSON.stringify(state, null, 1)}\n`);
  });
}

export interface StoredTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A verified checkpoint, as plain arrays (no tensors until it is restored into models). */
/** Every section's tensors; `ema` only where the checkpoint has one. */
export type SectionTensors = Omit<Record<keyof Sections, StoredTensor[]>, 'ema'> & { ema?: StoredTensor[] };

export interface LoadedCheckpoint {
  state: CheckpointState;
  dir: string;
  tensors: SectionTensors;
}

function readCheckpointDir(dir: string): LoadedCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  } catch (e) {
    throw new CheckpointError(dir, `state.json unreadable (${errorMessage(e)})`);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new CheckpointError(dir, `state.json is invalid: ${parsed.error.message}`);
  const state = parsed.data;
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, 'weights.bin'));
  } catch {
    throw new CheckpointError(dir, 'weights.bin is missing');
  }
  if (bytes.length !== state.weightsBytes) {
    throw new CheckpointError(dir, `weights.bin is ${bytes.length} bytes, expected ${state.weightsBytes}`);
  }
  if (sha256(bytes) !== state.weightsSha256) {
    throw new CheckpointError(dir, 'weights.bin does not match its sha256');
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  let offset = 0;
  const tensors = {} as SectionTensors;
  for (const key of Object.keys(state.sections) as (keyof Sections)[]) {
    tensors[key] = state.sections[key]!.map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = floats.subarray(offset, offset + size);
      offset += size;
      return { name, shape, values };
    });
  }
  if (offset * 4 !== bytes.length)
    throw new CheckpointError(dir, 'weights.bin size does not match its tensor list');
  return { state, dir, tensors };
}

/**
 * Reads `outDir/checkpoint` (or, if a kill landed between the two renames of a save, the previous
 * one), verifying its hash. Returns null when the folder holds no checkpoint at all.
 */
export function readCheckpoint(outDir: string): LoadedCheckpoint | null {
  const dir = readableDir(join(outDir, CHECKPOINT), 'state.json');
  return dir === null ? null : readCheckpointDir(dir);
}

function checkShapes(dir: string, what: string, expected: tf.Tensor[], got: StoredTensor[]): void {
  if (expected.length !== got.length) {
    throw new CheckpointError(dir, `${what} has ${got.length} tensors, this preset's has ${expected.length}`);
  }
  expected.forEach((t, i) => {
    if (t.shape.join('x') !== got[i].shape.join('x')) {
      throw new CheckpointError(
        dir,
        `${what} tensor ${got[i].name} is ${got[i].shape.join('x')}, expected ${t.shape.join('x')}`,
      );
    }
  });
}

const toTensors = (list: StoredTensor[]): Named[] =>
  list.map(({ name, shape, values }) => ({ name, tensor: tf.tensor(values, shape, 'float32') }));

/** Puts a loaded checkpoint's weights and optimizer state into freshly built models and optimizers. */
export async function restoreCheckpoint(ckpt: LoadedCheckpoint, s: TrainingState): Promise<void> {
  await restoreState({ tensors: ckpt.tensors, adamPowers: ckpt.state.adamPowers }, s, ckpt.dir);
}

/** Puts a snapshot into models and optimizers of the same preset; `where` names it in errors. */
export async function restoreState(snap: StateSnapshot, s: TrainingState, where: string): Promise<void> {
  const { tensors } = snap;
  const models: Array<[string, LayersModel, StoredTensor[]]> = [
    ['generator', s.generator, tensors.generator],
    ['discriminator', s.discriminator, tensors.discriminator],
  ];
  // A checkpoint without a moving average leaves the caller's (a copy of G) as it is.
  if (s.ema && tensors.ema) models.push(['ema', s.ema, tensors.ema]);
  for (const [what, m, stored] of models) {
    checkShapes(
      where,
      what,
      m.weights.map((w) => w.read()),
      stored,
    );
    const values = toTensors(stored);
    m.setWeights(values.map((n) => n.tensor));
    tf.dispose(values.map((n) => n.tensor));
  }
  // Adam's state is index-aligned with the variable list it was minimising: same preset, same order.
  for (const [opt, list, powers] of [
    [s.gOptimizer, tensors.gOptimizer, snap.adamPowers.g],
    [s.dOptimizer, tensors.dOptimizer, snap.adamPowers.d],
  ] as const) {
    const values = toTensors(list);
    await opt.setWeights(values);
    tf.dispose(values.map((n) => n.tensor));
    adamPowers(opt).forEach((v, i) => {
      if (powers[i] !== undefined) tf.tidy(() => v.assign(tf.scalar(powers[i])));
    });
  }
}
