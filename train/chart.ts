export interface LossPoint {
  step: number;
  dLoss: number;
  gLoss: number;
}

const W = 800;
const H = 360;
const PAD = { left: 56, right: 16, top: 28, bottom: 40 };

/** A self-contained SVG line chart of both losses over steps; opens in any browser. */
export function lossChartSvg(points: LossPoint[], title: string): string {
  const maxStep = Math.max(1, ...points.map((p) => p.step));
  const maxLoss = Math.max(1e-6, ...points.flatMap((p) => [p.dLoss, p.gLoss]).filter(Number.isFinite)) * 1.05;
  const x = (s: number) => PAD.left + (s / maxStep) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / maxLoss) * (H - PAD.top - PAD.bottom);
  const line = (key: 'dLoss' | 'gLoss') =>
    points
      .filter((p) => Number.isFinite(p[key]))
      .map((p) => `${x(p.step).toFixed(1)},${y(p[key]).toFixed(1)}`)
      .join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = f * maxLoss;
    return `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`;
  });
  const esc = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${PAD.left}" y="18" font-size="14">${esc}</text>
${ticks.join('\n')}
<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">step ${maxStep}</text>
<text x="${PAD.left}" y="${H - 8}">0</text>
<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="${line('dLoss')}"/>
<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${line('gLoss')}"/>
<text x="${W - 150}" y="18" fill="#d62728">discriminator</text><text x="${W - 60}" y="18" fill="#1f77b4">generator</text>
</svg>
`;
}
