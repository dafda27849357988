// Seeded latent vectors: the same seed gives the same noise on every device and in Node (the page,
// the training run's sample grids, the tests), so the same seed draws the same digits (up to the
// backend's float rounding). Training's own randomness (initial weights, shuffles, the noise it
// learns on) is a separate stream with a saved state (train/rng.ts).

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Latents {
  /** n × dim standard normals, row-major. */
  z: Float32Array;
  /** The class of each digit (conditional models), or null. */
  labels: Int32Array | null;
}

/**
 * n latent vectors for a seed. `digit` asks every sample for that class; 'any' draws the classes
 * from the same seed. Box–Muller on the seeded uniforms.
 */
export function latents(
  seed: number,
  n: number,
  dim: number,
  classes: number,
  digit: number | 'any',
): Latents {
  const u = uniform(seed);
  const z = new Float32Array(n * dim);
  for (let i = 0; i < z.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const theta = 2 * Math.PI * u();
    z[i] = r * Math.cos(theta);
    if (i + 1 < z.length) z[i + 1] = r * Math.sin(theta);
  }
  if (classes === 0) return { z, labels: null };
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = digit === 'any' ? Math.floor(u() * classes) : digit;
  return { z, labels };
}

/**
 * The style grid: `rows` noise vectors drawn as `latents` would draw them for the seed, each
 * repeated once per class, so row r shows one handwriting style written as every digit.
 */
export function styleLatents(seed: number, rows: number, dim: number, classes: number): Latents {
  if (classes === 0) throw new Error('a style grid needs a conditional model (one with classes)');
  return styleRows(latents(seed, rows, dim, 0, 'any').z, rows, dim, classes);
}

/** Rows of noise (rows × dim) as a style grid's latents: each row once per class, classes in order. */
export function styleRows(z: Float32Array, rows: number, dim: number, classes: number): Latents {
  const out = new Float32Array(rows * classes * dim);
  const labels = new Int32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < classes; c++) {
      out.set(z.subarray(r * dim, (r + 1) * dim), (r * classes + c) * dim);
      labels[r * classes + c] = c;
    }
  }
  return { z: out, labels };
}
