// Signed notes of a checksum database: the text, then a blank line, then one line per signature
// "— <name> <base64(4-byte key hash ‖ signature)>". A verifier key is "<name>+<hash hex>+<base64(alg ‖ key)>",
// algorithm 1 being Ed25519.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface VerifierKey { name: string; hash: string; key: KeyObject }

export function parseVerifierKey(text: string): VerifierKey {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(text.trim());
  const raw = m ? Buffer.from(m[3]!, 'base64') : Buffer.alloc(0);
  if (!m || raw.length !== 33 || raw[0] !== 1) throw new Error(`not an Ed25519 verifier key: ${text}`);
  const [, name, hash] = m;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' });
  return { name, hash: hash!, key };
}

export interface SignedNote { text: string; signatures: { name: string; hash: string; sig: Buffer }[] }

export function parseSignedNote(note: string): SignedNote {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('malformed signed note');
  const text = note.slice(0, split + 1);
  const signatures = note.slice(split + 2, -1).split('\n').map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error('malformed note signature line');
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.length < 5) throw new Error('malformed note signature');
    return { name: m[1]!, hash: raw.subarray(0, 4).toString('hex'), sig: raw.subarray(4) };
  });
  return { text, signatures };
}

/** whether one of the note's signatures is the key's, and valid */
export function signedBy(note: SignedNote, key: VerifierKey): boolean {
  return note.signatures.some((s) => s.name === key.name && s.hash === key.hash && verify(null, Buffer.from(note.text), key.key, s.sig));
}
