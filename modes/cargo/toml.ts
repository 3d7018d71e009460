// The string values of a TOML document, by dotted key path: enough of TOML to read cargo's source tables.
// Tables, dotted and quoted keys, inline tables and both string kinds are understood; other values (numbers,
// arrays, multi-line strings, dates) are skipped whole; arrays of tables are skipped.

export type TomlStrings = Map<string, string>;

/** path parts joined with this (no key contains it) */
export const SEP = '\u0000';

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  get c(): string { return this.s[this.i] ?? ''; }
  done(): boolean { return this.i >= this.s.length; }
  /** spaces, tabs and (when `lines`) newlines and comments */
  skip(lines: boolean): void {
    for (;;) {
      const c = this.c;
      if (c === ' ' || c === '\t' || (lines && (c === '\n' || c === '\r'))) this.i++;
      else if (c === '#') { while (!this.done() && this.c !== '\n') this.i++; }
      else return;
    }
  }
  fail(what: string): never { throw new Error(`TOML: ${what} at offset ${this.i}`); }
}

function basicString(r: Reader): string {
  r.i++; // opening quote
  let out = '';
  for (;;) {
    const c = r.c;
    if (r.done() || c === '\n') r.fail('unterminated string');
    r.i++;
    if (c === '"') return out;
    if (c !== '\\') { out += c; continue; }
    const e = r.c;
    r.i++;
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
    if (e in simple) out += simple[e];
    else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      out += String.fromCodePoint(parseInt(r.s.slice(r.i, r.i + n), 16));
      r.i += n;
    } else r.fail('bad escape');
  }
}

function literalString(r: Reader): string {
  const end = r.s.indexOf("'", r.i + 1);
  if (end < 0 || r.s.slice(r.i + 1, end).includes('\n')) r.fail('unterminated string');
  const v = r.s.slice(r.i + 1, end);
  r.i = end + 1;
  return v;
}

function key(r: Reader): string[] {
  const parts: string[] = [];
  for (;;) {
    r.skip(false);
    if (r.c === '"') parts.push(basicString(r));
    else if (r.c === "'") parts.push(literalString(r));
    else {
      const m = /^[A-Za-z0-9_-]+/.exec(r.s.slice(r.i));
      if (!m) r.fail('bad key');
      parts.push(m[0]);
      r.i += m[0].length;
    }
    r.skip(false);
    if (r.c !== '.') return parts;
    r.i++;
  }
}

/** skip a value we do not keep (arrays may span lines and nest) */
function skipValue(r: Reader): void {
  if (r.s.startsWith('"""', r.i) || r.s.startsWith("'''", r.i)) {
    const q = r.s.slice(r.i, r.i + 3);
    const end = r.s.indexOf(q, r.i + 3);
    if (end < 0) r.fail('unterminated string');
    r.i = end + 3;
    while (r.c === q[0]) r.i++;
    return;
  }
  if (r.c === '"') { basicString(r); return; }
  if (r.c === "'") { literalString(r); return; }
  if (r.c === '[') {
    r.i++;
    for (;;) {
      r.skip(true);
      const c = r.c as string;
      if (c === ']') { r.i++; return; }
      if (c === ',') { r.i++; continue; }
      if (r.done()) r.fail('unterminated array');
      skipValue(r);
    }
  }
  if (r.c === '{') { inlineTable(r, [], new Map()); return; }
  while (!r.done() && !/[,\]}\s#]/.test(r.c)) r.i++;
}

function value(r: Reader, path: string[], out: TomlStrings): void {
  r.skip(false);
  if (r.c === '"' && !r.s.startsWith('"""', r.i)) out.set(path.join(SEP), basicString(r));
  else if (r.c === "'" && !r.s.startsWith("'''", r.i)) out.set(path.join(SEP), literalString(r));
  else if (r.c === '{') inlineTable(r, path, out);
  else skipValue(r);
}

function inlineTable(r: Reader, path: string[], out: TomlStrings): void {
  r.i++;
  for (;;) {
    r.skip(false);
    if (r.c === '}') { r.i++; return; }
    if (r.c === ',') { r.i++; continue; }
    if (r.done() || r.c === '\n') r.fail('unterminated inline table');
    const k = key(r);
    if (r.c !== '=') r.fail('expected =');
    r.i++;
    value(r, [...path, ...k], out);
  }
}

export function tomlStrings(text: string): TomlStrings {
  const r = new Reader(text);
  const out: TomlStrings = new Map();
  let table: string[] | null = [];
  for (;;) {
    r.skip(true);
    if (r.done()) return out;
    if (r.c === '[') {
      const array = r.s.startsWith('[[', r.i);
      r.i += array ? 2 : 1;
      const k = key(r);
      if (!r.s.startsWith(array ? ']]' : ']', r.i)) r.fail('bad table header');
      r.i += array ? 2 : 1;
      table = array ? null : k;
    } else {
      const k = key(r);
      if (r.c !== '=') r.fail('expected =');
      r.i++;
      if (table) value(r, [...table, ...k], out);
      else { r.skip(false); skipValue(r); }
    }
    r.skip(false);
    if (!r.done() && r.c !== '\n' && r.c !== '\r') r.fail('expected end of line');
  }
}
