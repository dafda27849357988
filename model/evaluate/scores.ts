/** Class-probability scores over n samples (probs: n × classes, rows sum to 1). */

const CLASSES = 10;

export function argmaxRow(probs: Float32Array, i: number, k = CLASSES): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
  return best;
}

/** Inception score exp(E_x KL(p(y|x) ‖ p(y))): 1 (all alike or all unsure) up to `classes` (all sure, all classes). */
export function inceptionScore(probs: Float32Array, k = CLASSES): number {
  const n = probs.length / k;
  const marginal = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) marginal[c] += probs[i * k + c] / n;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c];
      if (p > 0) kl += p * (Math.log(p) - Math.log(Math.max(marginal[c], 1e-30)));
    }
  }
  return Math.exp(kl / n);
}

/** KL(histogram of predicted classes ‖ uniform): 0 when every class is equally common, ln(k) for one class. */
export function classKL(probs: Float32Array, k = CLASSES): number {
  const n = probs.length / k;
  const hist = new Float64Array(k);
  for (let i = 0; i < n; i++) hist[argmaxRow(probs, i, k)] += 1 / n;
  return hist.reduce((acc, h) => (h > 0 ? acc + h * Math.log(h * k) : acc), 0);
}

/** Share of samples the classifier labels as the class they were generated for. */
export function classAccuracy(probs: Float32Array, requested: ArrayLike<number>, k = CLASSES): number {
  let ok = 0;
  for (let i = 0; i < requested.length; i++) if (argmaxRow(probs, i, k) === requested[i]) ok++;
  return ok / requested.length;
}

/** Class accuracy separately for each class asked for (index = class); NaN for a class never asked. */
export function perClassAccuracy(probs: Float32Array, requested: ArrayLike<number>, k = CLASSES): number[] {
  const ok = new Array<number>(k).fill(0);
  const asked = new Array<number>(k).fill(0);
  for (let i = 0; i < requested.length; i++) {
    asked[requested[i]]++;
    if (argmaxRow(probs, i, k) === requested[i]) ok[requested[i]]++;
  }
  return ok.map((n, c) => n / asked[c]);
}

/** The class with the lowest accuracy, and that accuracy. */
export function worstClass(perClass: number[]): { digit: number; accuracy: number } {
  let digit = 0;
  for (let c = 1; c < perClass.length; c++) if (perClass[c] < perClass[digit]) digit = c;
  return { digit, accuracy: perClass[digit] };
}
