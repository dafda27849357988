// Structural checks of Mermaid `xychart-beta` blocks, the subset of Mermaid 11's grammar the job
// summary writes: an optional `%%{init: …}%%` directive, `title`, `x-axis`, `y-axis`, `line`/`bar`.
// Mermaid's own parser needs a DOM, which Node has not; this one is strict where Mermaid would
// refuse (unclosed brackets, quotes in a title, a missing axis range) and where GitHub would draw
// nonsense (lines of different lengths, values outside the y axis).

export interface Axis {
  label: string | null;
  min: number;
  max: number;
}

export interface XyChart {
  /** The `init` directive's JSON, if there is one. */
  init: unknown;
  title: string | null;
  x: Axis;
  y: Axis;
  lines: number[][];
}

/** The text of every ```mermaid fenced block. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const LABEL = String.raw`(?:"([^"\n]*)"\s+)?`;
const RANGE = new RegExp(String.raw`^${LABEL}(${NUMBER})\s*-->\s*(${NUMBER})$`);

function axis(kind: string, rest: string): Axis {
  const m = RANGE.exec(rest.trim());
  if (!m) throw new Error(`${kind}: expected ["label"] min --> max, got '${rest}'`);
  const a = { label: m[1] ?? null, min: Number(m[2]), max: Number(m[3]) };
  if (!(a.min < a.max)) throw new Error(`${kind}: the range ${a.min} --> ${a.max} is empty`);
  return a;
}

function values(kind: string, rest: string): number[] {
  const m = /^\[(.*)\]$/.exec(rest.trim());
  if (!m) throw new Error(`${kind}: expected [v, …], got '${rest}'`);
  const items = m[1].split(',').map((v) => v.trim());
  const bad = items.find((v) => !new RegExp(`^${NUMBER}$`).test(v));
  if (bad !== undefined) throw new Error(`${kind}: '${bad}' is not a number`);
  return items.map(Number);
}

/** Parses one block (the text inside the fence); throws saying what is wrong. */
export function parseXyChart(block: string): XyChart {
  const lines = block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l);
  let init: unknown = null;
  if (lines[0]?.startsWith('%%{')) {
    const m = /^%%\{\s*init:\s*(\{.*\})\s*\}%%$/.exec(lines.shift()!);
    if (!m) throw new Error('a %%{…}%% directive that is not %%{init: {…}}%%');
    init = JSON.parse(m[1]);
  }
  if (!/^xychart-beta(\s+horizontal)?$/.test(lines.shift() ?? ''))
    throw new Error('the diagram does not start with xychart-beta');
  const chart: Partial<XyChart> & { lines: number[][] } = { init, title: null, lines: [] };
  for (const line of lines) {
    const [, kind, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (kind === 'title') {
      const m = /^"([^"\n]*)"$/.exec(rest);
      if (!m) throw new Error(`title: expected "text" without inner quotes, got '${rest}'`);
      chart.title = m[1];
    } else if (kind === 'x-axis') chart.x = axis(kind, rest);
    else if (kind === 'y-axis') chart.y = axis(kind, rest);
    else if (kind === 'line' || kind === 'bar') chart.lines.push(values(kind, rest));
    else throw new Error(`unknown statement '${line}'`);
  }
  if (!chart.x || !chart.y) throw new Error('both axes need a range');
  if (!chart.lines.length) throw new Error('no line');
  if (new Set(chart.lines.map((l) => l.length)).size !== 1) throw new Error('lines of different lengths');
  const { y } = chart;
  if (chart.lines.flat().some((v) => v < y.min || v > y.max)) throw new Error('a value outside the y axis');
  return { init: chart.init, title: chart.title ?? null, x: chart.x, y: chart.y, lines: chart.lines };
}
