// A single byte range per RFC 9110 §14. Parsed here, not by R2: local R2 silently ignores ranges it
// cannot satisfy, and a client must get 416 for those.

export type RangeResult =
  | { kind: 'full' } // no header, or one the spec says to ignore (bad syntax, several ranges)
  | { kind: 'partial'; offset: number; length: number }
  | { kind: 'unsatisfiable' };

const DIGITS = /^\d{1,15}$/; // longer numbers cannot address a real object; treat them as garbage

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1].split(',');
  if (specs.length !== 1) return { kind: 'full' }; // multipart ranges: answer with the whole file
  const [first, last, ...rest] = specs[0].trim().split('-');
  if (rest.length || first === undefined || last === undefined) return { kind: 'full' };
  if (first === '') {
    if (!DIGITS.test(last)) return { kind: 'full' };
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    const length = Math.min(suffix, size);
    return { kind: 'partial', offset: size - length, length };
  }
  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'full' };
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', offset: start, length: end - start + 1 };
}

/** If-None-Match against an entity tag, with the weak comparison RFC 9110 asks for. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}
