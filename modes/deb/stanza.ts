// Debian control-file stanzas (deb822): `Field: value`, continuation lines start with a space or tab,
// stanzas end at a blank line. Streamed line by line with a 10 MiB line cap.
import type { Readable } from 'node:stream';

export type Stanza = Map<string, string>; // lower-case field name → value (continuation lines joined by '\n')
export const MAX_LINE = 10 * 1024 * 1024;

export class StanzaError extends Error {}

/** the lines of a stream, without their line endings */
export async function* lines(body: Readable | Iterable<Buffer | string>): AsyncIterable<string> {
  let carry = '';
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    carry += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let i: number;
    while ((i = carry.indexOf('\n')) >= 0) {
      yield carry.slice(0, i).replace(/\r$/, '');
      carry = carry.slice(i + 1);
    }
    if (carry.length > MAX_LINE) throw new StanzaError(`line longer than ${MAX_LINE} bytes`);
  }
  if (carry) yield carry.replace(/\r$/, '');
}

export async function* stanzas(body: Readable | Iterable<Buffer | string>): AsyncIterable<Stanza> {
  let cur: Stanza = new Map();
  let last: string | undefined;
  for await (const line of lines(body)) {
    if (line.trim() === '') {
      if (cur.size) yield cur;
      cur = new Map(); last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (last === undefined) throw new StanzaError('continuation line before any field');
      cur.set(last, `${cur.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new StanzaError(`not a field line: "${line.slice(0, 60)}"`);
    last = line.slice(0, colon).trim().toLowerCase();
    cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur.size) yield cur;
}

/** every stanza of a small text (a Release file) */
export async function parseStanzas(text: string): Promise<Stanza[]> {
  const out: Stanza[] = [];
  for await (const s of stanzas([text])) out.push(s);
  return out;
}
