// A small line chart (inline SVG, no library) of one number over the published versions.
const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface Series {
  title: string;
  /** Oldest first; null where a version has no value. */
  values: (number | null)[];
  /** How to print a value. */
  format: (v: number) => string;
  /** Lower is better (FID), for the caption. */
  lowerIsBetter: boolean;
}

/** One chart: a caption with the latest value, and the values joined in order (one point: no line). */
export function lineChart(s: Series, width = 320, height = 64): HTMLElement {
  const pad = { l: 10, r: 10, t: 8, b: 8 };
  const known = s.values.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
  // The caption says it in words; the drawing is for the eye only.
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', 'aria-hidden': 'true' });
  const box = document.createElement('figure');
  box.className = 'chart-box';
  const caption = document.createElement('figcaption');
  caption.className = 'chart-title';
  const last = known.at(-1);
  const summary = last
    ? `${s.title}, ${s.values.length} version${s.values.length === 1 ? '' : 's'}: latest ${s.format(last.v)}` +
      ` (${s.lowerIsBetter ? 'lower' : 'higher'} is better)`
    : `${s.title}: no values`;
  caption.textContent = summary;
  box.append(caption);
  if (known.length < 2) return box; // one point is no line
  box.append(svg);
  const lo = Math.min(...known.map((k) => k.v));
  const hi = Math.max(...known.map((k) => k.v));
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (i: number) =>
    s.values.length === 1 ? width / 2 : pad.l + (i / (s.values.length - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / span) * (height - pad.t - pad.b);
  const points = known.map((k) => `${x(k.i).toFixed(1)},${y(k.v).toFixed(1)}`).join(' ');
  svg.append(el('polyline', { points, class: 'chart-line' }));
  for (const k of known) svg.append(el('circle', { cx: x(k.i), cy: y(k.v), r: 3, class: 'chart-dot' }));
  return box;
}
