// GitHub Actions expressions (`${{ … }}` and `if:`), evaluated the way the runner does, for the
// workflow dry run: literals, context paths, `!`, comparisons with GitHub's loose coercion, `&&`/`||`
// returning an operand, and the functions the workflows here use. Anything else is an error, so a
// workflow that starts using more fails the dry run instead of being misread.

/** A value an expression can produce. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** The contexts (`github`, `env`, `steps`, …) and the job status the status functions read. */
export interface Scope {
  contexts: Record<string, Value>;
  /** The job so far: a step failed (`failure()`), or it was cancelled (`cancelled()`). */
  status: 'success' | 'failure' | 'cancelled';
}

type Token =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'op'; value: string };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ','];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      // Strings are single-quoted; '' is a quote.
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in: ${src}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      tokens.push({ kind: 'str', value: s });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(0x[0-9a-f]+|\d+(\.\d+)?(e[+-]?\d+)?)/i.exec(src.slice(i));
      if (!m) throw new Error(`bad number in: ${src}`);
      tokens.push({ kind: 'num', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i))!;
      tokens.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) throw new Error(`unexpected '${c}' in: ${src}`);
      tokens.push({ kind: 'op', value: op });
      i += op.length;
    }
  }
  return tokens;
}

const truthy = (v: Value): boolean =>
  !(v === null || v === false || v === 0 || v === '' || (typeof v === 'number' && Number.isNaN(v)));

/** GitHub coerces mismatched types to numbers: null 0, booleans 0/1, strings parsed ('' is 0). */
function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? 0 : Number(v.trim());
  return Number.NaN;
}

function compare(op: string, a: Value, b: Value): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string') {
    // String comparison ignores case.
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else if (typeof a === typeof b && typeof a === 'object' && a !== null) {
    return op === '==' ? a === b : op === '!=' ? a !== b : false;
  } else {
    x = toNumber(a);
    y = toNumber(b);
  }
  switch (op) {
    case '==':
      return x === y;
    case '!=':
      return x !== y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

/** How a value becomes text in `${{ }}` inside a string (and in `env:`). */
export function toText(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

function property(obj: Value, key: Value): Value {
  if (obj === null || typeof obj !== 'object') return null;
  if (Array.isArray(obj)) return typeof key === 'number' ? (obj[key] ?? null) : null;
  const k = toText(key);
  // Context property names ignore case.
  const found = Object.keys(obj).find((name) => name.toLowerCase() === k.toLowerCase());
  return found === undefined ? null : obj[found];
}

type Fn = (args: Value[], scope: Scope) => Value;
const FUNCTIONS: Record<string, Fn> = {
  success: (_, s) => s.status === 'success',
  failure: (_, s) => s.status === 'failure',
  cancelled: (_, s) => s.status === 'cancelled',
  always: () => true,
  contains: ([hay, needle]) =>
    Array.isArray(hay)
      ? hay.some((v) => compare('==', v, needle))
      : toText(hay).toLowerCase().includes(toText(needle).toLowerCase()),
  startswith: ([s, p]) => toText(s).toLowerCase().startsWith(toText(p).toLowerCase()),
  endswith: ([s, p]) => toText(s).toLowerCase().endsWith(toText(p).toLowerCase()),
  format: ([f, ...args]) =>
    toText(f).replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) =>
      n === undefined ? m[0] : toText(args[Number(n)] ?? null),
    ),
  tojson: ([v]) => JSON.stringify(v, null, 2),
  fromjson: ([v]) => JSON.parse(toText(v)) as Value,
};
/** Functions that read the job's status: an `if:` without one means `success() && (…)`. */
export const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'];

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly scope: Scope,
    private readonly src: string,
  ) {}

  parse(): Value {
    const v = this.or();
    if (this.i < this.tokens.length) throw new Error(`unexpected '${this.peek()?.value}' in: ${this.src}`);
    return v;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private eat(op: string): boolean {
    const t = this.peek();
    if (t?.kind === 'op' && t.value === op) {
      this.i++;
      return true;
    }
    return false;
  }
  private expect(op: string): void {
    if (!this.eat(op)) throw new Error(`expected '${op}' in: ${this.src}`);
  }

  // Both operands are evaluated (no side effects here), the result is an operand, as in GitHub.
  private or(): Value {
    let v = this.and();
    while (this.eat('||')) {
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  private and(): Value {
    let v = this.equality();
    while (this.eat('&&')) {
      const r = this.equality();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  private equality(): Value {
    let v = this.relation();
    for (;;) {
      const op = ['==', '!='].find((o) => this.eat(o));
      if (!op) return v;
      v = compare(op, v, this.relation());
    }
  }
  private relation(): Value {
    let v = this.unary();
    for (;;) {
      const op = ['<=', '>=', '<', '>'].find((o) => this.eat(o));
      if (!op) return v;
      v = compare(op, v, this.unary());
    }
  }
  private unary(): Value {
    if (this.eat('!')) return !truthy(this.unary());
    return this.postfix();
  }
  private postfix(): Value {
    let v = this.primary();
    for (;;) {
      if (this.eat('.')) {
        const t = this.tokens[this.i++];
        if (t?.kind !== 'word') throw new Error(`expected a property name in: ${this.src}`);
        v = property(v, t.value);
      } else if (this.eat('[')) {
        const key = this.or();
        this.expect(']');
        v = property(v, key);
      } else {
        return v;
      }
    }
  }
  private primary(): Value {
    const t = this.tokens[this.i++];
    if (!t) throw new Error(`unexpected end of: ${this.src}`);
    if (t.kind === 'num' || t.kind === 'str') return t.value;
    if (t.kind === 'op') {
      if (t.value !== '(') throw new Error(`unexpected '${t.value}' in: ${this.src}`);
      const v = this.or();
      this.expect(')');
      return v;
    }
    const word = t.value;
    if (word === 'true' || word === 'false') return word === 'true';
    if (word === 'null') return null;
    if (this.eat('(')) {
      const fn = FUNCTIONS[word.toLowerCase()];
      if (!fn) throw new Error(`the dry run does not know the function ${word}() in: ${this.src}`);
      const args: Value[] = [];
      if (!this.eat(')')) {
        do args.push(this.or());
        while (this.eat(','));
        this.expect(')');
      }
      return fn(args, this.scope);
    }
    const context = Object.keys(this.scope.contexts).find((c) => c.toLowerCase() === word.toLowerCase());
    if (context === undefined) throw new Error(`unknown context '${word}' in: ${this.src}`);
    return this.scope.contexts[context];
  }
}

/** One expression, without `${{ }}`. */
export function evaluate(expr: string, scope: Scope): Value {
  return new Parser(tokenize(expr), scope, expr).parse();
}

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

/**
 * A YAML value that may hold `${{ }}`: one expression alone keeps its type (`true`, a number),
 * text around or between expressions makes a string.
 */
export function interpolate(value: unknown, scope: Scope): Value {
  if (typeof value !== 'string') return (value ?? null) as Value;
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(value);
  if (whole && !whole[1].includes('}}')) return evaluate(whole[1], scope);
  return value.replace(TEMPLATE, (_, expr: string) => toText(evaluate(expr, scope)));
}

/**
 * A step's or job's `if:`: `${{ }}` optional; without a status function it means
 * `success() && (…)`, as on GitHub.
 */
export function condition(src: unknown, scope: Scope): boolean {
  if (src === undefined || src === null) return scope.status === 'success';
  if (typeof src === 'boolean') return scope.status === 'success' && src;
  const text = String(src);
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text);
  const expr = whole ? whole[1] : text;
  const usesStatus = tokenize(expr).some(
    (t, i, all) =>
      t.kind === 'word' &&
      STATUS_FUNCTIONS.includes(t.value.toLowerCase()) &&
      all[i + 1]?.kind === 'op' &&
      all[i + 1].value === '(',
  );
  const v = truthy(evaluate(expr, scope));
  return usesStatus ? v : scope.status === 'success' && v;
}
