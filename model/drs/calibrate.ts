/**
 * Calibrating D. Rejection sampling (Azadi et al. 2019) needs D's logit to estimate
 * log p_data(x)/p_g(x), and a GAN's D is not calibrated: it was trained against a moving G (the
 * raw G, while we sample its moving average) and may end over- or under-confident. The paper
 * fine-tunes D's last layer with a logistic loss on held-out real digits and fakes. We fit Platt
 * scaling on such a split instead, D̃ = a·logit + b: two numbers found by a few Newton steps, no
 * training code, nothing to overfit on a few thousand digits, and D's ranking of digits is kept
 * (what it cannot do, and fine-tuning can a little, is change that ranking). With equally many
 * real digits and fakes, σ(D̃) estimates P(real | x), so D̃ estimates log p_data(x)/p_g(x).
 * (In the acceptance rule only `a` matters: `b` shifts D̃ and log M alike.)
 */
export interface Calibration {
  a: number;
  b: number;
}

export const calibrated = (c: Calibration, logit: number): number => c.a * logit + c.b;

/**
 * Logistic regression of real (1) vs fake (0) on one feature, by Newton's method with step
 * halving, and Platt's smoothed targets ((N₊+1)/(N₊+2) and 1/(N₋+2)), which keep the fit finite
 * even when D separates the two sets perfectly.
 */
export function plattScaling(real: Float32Array, fake: Float32Array): Calibration {
  if (real.length === 0 || fake.length === 0) throw new Error('calibration needs real digits and fakes');
  const hi = (real.length + 1) / (real.length + 2);
  const lo = 1 / (fake.length + 2);
  const xs = Float64Array.from([...real, ...fake]);
  const ys = Float64Array.from(xs, (_, i) => (i < real.length ? hi : lo));
  // Cross-entropy with soft targets, written with softplus so that large logits stay finite.
  const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
  const loss = (a: number, b: number) =>
    xs.reduce((s, x, i) => {
      const z = a * x + b;
      return s + ys[i] * softplus(-z) + (1 - ys[i]) * softplus(z);
    }, 0);
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let [ga, gb, haa, hab, hbb] = [0, 0, 1e-12, 0, 1e-12];
    xs.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-(a * x + b)));
      const w = p * (1 - p);
      ga += (p - ys[i]) * x;
      gb += p - ys[i];
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    // Halve the Newton step until the loss does not rise.
    let next = loss(a - da, b - db);
    for (let h = 0; h < 30 && !(next <= current); h++) {
      da /= 2;
      db /= 2;
      next = loss(a - da, b - db);
    }
    if (!(next <= current)) break;
    a -= da;
    b -= db;
    const gain = current - next;
    current = next;
    if (gain < 1e-12 * xs.length) break;
  }
  return { a, b };
}
