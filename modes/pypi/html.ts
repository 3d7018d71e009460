// A small HTML tokenizer for simple pages: finds the start tags of interest (`<a>`, `<base>`) and their
// attributes in any quoting (double, single, unquoted, none), skipping comments, declarations, end tags and
// raw-text elements. It works on a latin1 view of the bytes, so offsets are byte offsets and every byte it
// does not replace is copied as is.

export interface HtmlAttr {
  /** lower-case name */
  name: string;
  /** the value with entities decoded (UTF-8); '' for an attribute without a value */
  value: string;
  /** byte range of the whole attribute, including the whitespace before it */
  start: number;
  end: number;
  /** byte range of the raw value (inside its quotes) */
  valueStart: number;
  valueEnd: number;
  quote: '"' | "'" | '' | null;
}
export interface HtmlTag { name: string; start: number; end: number; attrs: HtmlAttr[] }

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** character references decoded (the subset a URL or a hash can contain; unknown ones kept) */
export function decodeEntities(s: string): string {
  return s.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);?/g, (all, ref: string) => {
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return NAMED[ref.toLowerCase()] ?? all;
  });
}

/** an attribute value written back in its quoting: `&` and the quote character escaped */
export function encodeAttr(value: string, quote: HtmlAttr['quote']): string {
  const amp = value.replace(/&/g, '&amp;');
  if (quote === "'") return `'${amp.replace(/'/g, '&#39;')}'`;
  if (quote === '' && /^[^\s"'=<>`]+$/.test(amp)) return amp;
  return `"${amp.replace(/"/g, '&quot;')}"`;
}

const WS = /[\t\n\f\r ]/;
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title']);
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

/** the start tags named in `want` (lower case), in document order; `text` is the body as latin1 */
export function scanTags(text: string, want: ReadonlySet<string>): HtmlTag[] {
  const out: HtmlTag[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) { const e = text.indexOf('-->', lt + 4); i = e < 0 ? n : e + 3; continue; }
    if (text[lt + 1] === '!' || text[lt + 1] === '?' || text[lt + 1] === '/') { const e = text.indexOf('>', lt); i = e < 0 ? n : e + 1; continue; }
    const nm = /^[A-Za-z][A-Za-z0-9:-]*/.exec(text.slice(lt + 1, lt + 64));
    if (!nm) { i = lt + 1; continue; }
    const name = nm[0].toLowerCase();
    const tag: HtmlTag = { name, start: lt, end: n, attrs: [] };
    let j = lt + 1 + nm[0].length;
    for (;;) {
      const attrStart = j;
      while (j < n && WS.test(text[j]!)) j++;
      if (j >= n) break;
      if (text[j] === '>') { j++; break; }
      if (text[j] === '/') { j++; continue; }
      const ns = j;
      while (j < n && !WS.test(text[j]!) && text[j] !== '=' && text[j] !== '>' && !(text[j] === '/' && text[j + 1] === '>')) j++;
      if (j === ns) j++; // a stray '=' : skip it
      const attrName = text.slice(ns, j).toLowerCase();
      let k = j;
      while (k < n && WS.test(text[k]!)) k++;
      let attr: HtmlAttr = { name: attrName, value: '', start: attrStart, end: j, valueStart: j, valueEnd: j, quote: null };
      if (text[k] === '=') {
        k++;
        while (k < n && WS.test(text[k]!)) k++;
        const q = text[k];
        if (q === '"' || q === "'") {
          const e = text.indexOf(q, k + 1);
          const ve = e < 0 ? n : e;
          attr = { ...attr, valueStart: k + 1, valueEnd: ve, end: Math.min(n, ve + 1), quote: q };
          j = attr.end;
        } else {
          let e = k;
          while (e < n && !WS.test(text[e]!) && text[e] !== '>') e++;
          attr = { ...attr, valueStart: k, valueEnd: e, end: e, quote: '' };
          j = e;
        }
        attr.value = decodeEntities(utf8(text.slice(attr.valueStart, attr.valueEnd)));
      }
      if (attrName) tag.attrs.push(attr);
    }
    tag.end = j;
    if (want.has(name)) out.push(tag);
    i = j;
    if (RAW_TEXT.has(name)) { const e = text.toLowerCase().indexOf(`</${name}`, j); i = e < 0 ? n : e; }
  }
  return out;
}

export const attrOf = (t: HtmlTag, name: string): HtmlAttr | undefined => t.attrs.find((a) => a.name === name);

/** the base URL links resolve against: the first `<base href>`, resolved against the page's own URL */
export function baseOf(tags: readonly HtmlTag[], pageUrl: string): string {
  const href = tags.find((t) => t.name === 'base' && attrOf(t, 'href'))?.attrs.find((a) => a.name === 'href')?.value;
  if (!href) return pageUrl;
  try { return new URL(href.trim(), pageUrl).href; } catch { return pageUrl; }
}

/** one edit of the page: replace a byte range by new (latin1) text */
export interface Edit { start: number; end: number; text: string }

/** apply non-overlapping edits (any order) to a latin1 text, returning the bytes */
export function applyEdits(text: string, edits: Edit[]): Buffer {
  if (!edits.length) return Buffer.from(text, 'latin1');
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (const e of sorted) { parts.push(text.slice(at, e.start), e.text); at = e.end; }
  parts.push(text.slice(at));
  return Buffer.from(parts.join(''), 'latin1');
}

/** a UTF-8 attribute value as latin1 text ready to be written in place of the raw value (with its quotes) */
export const attrText = (value: string, quote: HtmlAttr['quote']): string => Buffer.from(encodeAttr(value, quote), 'utf8').toString('latin1');
