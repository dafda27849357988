// A small line chart (inline SVG, no library) of one number over the published versions.
const SVG = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
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

/** One chart: points joined in order, the first and last value printed, the range on the axis. */
export function lineChart(s: Series, width = 320, height = 80): SVGSVGElement {
  const pad = { l: 8, r: 8, t: 20, b: 8 };
  const known = s.values.flatMap((v, i) => (v === null ? [] : [{ v, i }]));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  const last = known.at(-1);
  const summary = last
    ? `${s.title}, ${s.values.length} version${s.values.length === 1 ? '' : 's'}: latest ${s.format(last.v)}` +
      ` (${s.lowerIsBetter ? 'lower' : 'higher'} is better)`
    : `${s.title}: no values`;
  svg.setAttribute('aria-label', summary);
  svg.append(el('text', { x: pad.l, y: 13, class: 'chart-title' }, summary));
  if (!known.length) return svg;
  if (s.values.length === 1) svg.setAttribute('viewBox', `0 0 ${width} 20`); // one point is no line
  const lo = Math.min(...known.map((k) => k.v));
  const hi = Math.max(...known.map((k) => k.v));
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (i: number) =>
    s.values.length === 1 ? width / 2 : pad.l + (i / (s.values.length - 1)) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / span) * (height - pad.t - pad.b);
  const points = known.map((k) => `${x(k.i).toFixed(1)},${y(k.v).toFixed(1)}`).join(' ');
  if (s.values.length === 1) return svg;
  svg.append(el('polyline', { points, class: 'chart-line' }));
  for (const k of known) svg.append(el('circle', { cx: x(k.i), cy: y(k.v), r: 3, class: 'chart-dot' }));
  return svg;
}
