import seedrandom from 'seedrandom';
import { z } from 'zod';

/** Serializable state of {@link Rng}: enough to continue the exact same stream after a resume. */
export const rngStateSchema = z.object({
  alea: z.object({ c: z.number(), s0: z.number(), s1: z.number(), s2: z.number() }),
  /** Box–Muller makes normals in pairs; the spare one is part of the state. */
  spare: z.number().nullable(),
});
export type RngState = z.infer<typeof rngStateSchema>;

/**
 * The run's one source of randomness (noise, dropout masks, weight init seeds). tfjs's own unseeded
 * random ops fall back to Math.random, so everything random in training is drawn from here instead.
 */
export class Rng {
  private readonly prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spare: number | null;

  /** A seed (separate streams use distinct string keys, e.g. `${seed}/epoch/3`) or a saved state. */
  constructor(seedOrState: number | string | RngState) {
    if (typeof seedOrState !== 'object') {
      this.prng = seedrandom.alea(String(seedOrState), { state: true });
      this.spare = null;
    } else {
      this.prng = seedrandom.alea('', { state: seedOrState.alea });
      this.spare = seedOrState.spare;
    }
  }

  state(): RngState {
    return { alea: this.prng.state(), spare: this.spare };
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.prng();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }

  /** A 31-bit seed for tfjs ops that take one (initializers, dropout). */
  seed(): number {
    return this.prng.int32() >>> 1;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** Fisher–Yates permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
