import type { BackendInfo } from '../backend.ts';
import type { BatchArrays } from '../batches.ts';
import type { StateSnapshot } from '../checkpoint.ts';
import type { GanRecipe } from '../gan.ts';
import type { PresetName } from '../models/presets.ts';
import type { ShardResult } from './shard-step.ts';

/** What a replica thread is started with. */
export interface ReplicaInit {
  entry: string;
  index: number;
  preset: PresetName;
  backend: BackendInfo['name'];
  recipe: GanRecipe;
}

/** Main thread → replica, processed strictly in order. */
export type ToReplica =
  | { type: 'state'; snapshot: StateSnapshot }
  | { type: 'step'; shard: BatchArrays; dropoutSeed: number; topK: number }
  | { type: 'apply'; grads: Float32Array; moving: Float32Array; lrScale: number };

/** Replica → main thread: one answer per 'state' and per 'step'. */
export type FromReplica =
  | { type: 'ready' }
  | ({ type: 'grads' } & ShardResult)
  | { type: 'failed'; message: string };
