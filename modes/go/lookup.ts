// A checksum database's answer to lookup/<module>@<version>: the record id, the go.sum lines of the module
// version, a blank line, and the signed tree note the record is in.
import { parseSignedNote, type SignedNote } from './signed-note.js';

export interface LookupAnswer { lines: string[]; note: SignedNote }

export function parseLookup(body: string): LookupAnswer {
  const m = /^(\d+)\n((?:[^\n]+\n)+)\n([\s\S]+)$/.exec(body);
  if (!m) throw new Error('checksum database lookup is not a record followed by a signed note');
  const note = parseSignedNote(m[3]!);
  if (!/^go\.sum database tree\n\d+\n[A-Za-z0-9+/=]+\n/.test(note.text)) throw new Error('checksum database lookup carries no tree note');
  return { lines: m[2]!.slice(0, -1).split('\n'), note };
}

/** the h1 the record gives a module version's zip, or its go.mod with `/go.mod` */
export function recordedHash(answer: LookupAnswer, modulePath: string, version: string): string | undefined {
  for (const line of answer.lines) {
    const [p, v, h] = line.split(' ');
    if (p === modulePath && v === version && h?.startsWith('h1:')) return h;
  }
  return undefined;
}
