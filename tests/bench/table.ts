// The benchmarks' printed tables: one row per record, columns right-aligned to their widest cell.

export type Row = Record<string, string | number>;

export function table(rs: Row[]): string {
  const cols = Object.keys(rs[0]);
  const w = cols.map((c) => Math.max(c.length, ...rs.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(w[i])).join('  ');
  return [
    line(cols),
    line(w.map((x) => '-'.repeat(x))),
    ...rs.map((r) => line(cols.map((c) => String(r[c])))),
  ].join('\n');
}
