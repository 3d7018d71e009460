// This machine's apt sources (one-line `sources.list` files and deb822 `.sources` files), read at run time
// for the embedded default config and the live check. Nothing found here is ever written anywhere.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource { types: string[]; uri: string; suites: string[]; components: string[]; file: string; signedBy?: string }

/** one-line format: `deb [opts] uri suite [component…]` */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[2] ?? '')?.[1];
    out.push({ types: [m[1]!], uri: m[3]!.replace(/\/+$/, ''), suites: [m[4]!], components: m[5]!.split(/\s+/).filter(Boolean), file, ...(signedBy ? { signedBy } : {}) });
  }
  return out;
}

/** deb822 format: stanzas with Types, URIs, Suites, Components (Enabled: no skips one) */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const f = new Map<string, string>();
    let last = '';
    for (const raw of block.split('\n')) {
      if (raw.startsWith('#')) continue;
      if (/^\s/.test(raw) && last) { f.set(last, `${f.get(last)} ${raw.trim()}`); continue; }
      const i = raw.indexOf(':');
      if (i > 0) { last = raw.slice(0, i).trim().toLowerCase(); f.set(last, raw.slice(i + 1).trim()); }
    }
    if (!f.get('uris') || /^no$/i.test(f.get('enabled') ?? '')) continue;
    const words = (k: string) => (f.get(k) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = f.get('signed-by');
    for (const uri of words('uris')) out.push({ types: words('types'), uri: uri.replace(/\/+$/, ''), suites: words('suites'), components: words('components'), file, ...(signedBy && !signedBy.includes('BEGIN PGP') ? { signedBy } : {}) });
  }
  return out;
}

/** every source of this machine (`/etc/apt` unless `root` says otherwise) */
export function aptSources(root = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const read = (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return null; } };
  const main = read(join(root, 'sources.list'));
  if (main) out.push(...parseOneLine(main, join(root, 'sources.list')));
  let names: string[] = [];
  try { names = readdirSync(join(root, 'sources.list.d')).sort(); } catch { /* none */ }
  for (const n of names) {
    const p = join(root, 'sources.list.d', n);
    const t = read(p);
    if (t === null) continue;
    if (n.endsWith('.list')) out.push(...parseOneLine(t, p));
    else if (n.endsWith('.sources')) out.push(...parseDeb822(t, p));
  }
  return out.filter((s) => /^https?:\/\//.test(s.uri));
}
