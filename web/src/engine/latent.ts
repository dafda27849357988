// Walking between two latent draws (the page's morph).

/** Spherical interpolation per vector (keeps the norm a Gaussian sample expects, unlike a straight line). */
export function slerp(a: Float32Array, b: Float32Array, dim: number, t: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let o = 0; o < a.length; o += dim) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < dim; j++) {
      dot += a[o + j] * b[o + j];
      na += a[o + j] ** 2;
      nb += b[o + j] ** 2;
    }
    const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
    const s = Math.sin(omega);
    const [wa, wb] = s < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / s, Math.sin(t * omega) / s];
    for (let j = 0; j < dim; j++) out[o + j] = wa * a[o + j] + wb * b[o + j];
  }
  return out;
}
