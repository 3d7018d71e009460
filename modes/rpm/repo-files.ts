// This machine's dnf/yum and zypper repository definitions (`.repo` files: ini sections with `baseurl=`),
// read at run time for the embedded default config. Nothing found here is ever written anywhere.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface RepoSection { id: string; baseurls: string[]; file: string }

/** where dnf (reposdir's defaults) and zypper keep their `.repo` files, under /etc */
export const REPO_DIRS = ['yum.repos.d', 'yum/repos.d', 'distro.repos.d', 'zypp/repos.d'];

/** the enabled rpm-md sections of one `.repo` file; `baseurl` may hold several URLs (spaces, commas, continuation lines) */
export function parseRepoFile(text: string, file: string): RepoSection[] {
  const sections: { id: string; keys: Map<string, string> }[] = [];
  let cur: { id: string; keys: Map<string, string> } | undefined;
  let last = '';
  for (const raw of text.split('\n')) {
    if (/^\s*[#;]/.test(raw) || !raw.trim()) { last = ''; continue; }
    const head = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (head) { cur = { id: head[1]!.trim(), keys: new Map() }; sections.push(cur); last = ''; continue; }
    if (!cur) continue;
    if (/^\s/.test(raw) && last) { cur.keys.set(last, `${cur.keys.get(last)} ${raw.trim()}`); continue; }
    const i = raw.indexOf('=');
    if (i <= 0) continue;
    last = raw.slice(0, i).trim().toLowerCase();
    cur.keys.set(last, raw.slice(i + 1).trim());
  }
  const out: RepoSection[] = [];
  for (const { id, keys } of sections) {
    if (/^(0|no|false|off)$/i.test(keys.get('enabled') ?? '1')) continue;
    // zypper's yast2 media and plaindir repositories have no repodata/repomd.xml
    if (!/^(rpm-md|rpm|yum|)$/i.test(keys.get('type') ?? '')) continue;
    const baseurls = (keys.get('baseurl') ?? '').split(/[\s,]+/).filter((u) => /^https?:\/\//i.test(u));
    if (baseurls.length) out.push({ id, baseurls, file });
  }
  return out;
}

/** every enabled section with an http(s) baseurl on this machine (`/etc` unless `etc` says otherwise) */
export function repoSections(etc = '/etc'): RepoSection[] {
  const out: RepoSection[] = [];
  for (const dir of REPO_DIRS) {
    let names: string[] = [];
    try { names = readdirSync(join(etc, dir)).filter((n) => n.endsWith('.repo')).sort(); } catch { continue; }
    for (const n of names) {
      const p = join(etc, dir, n);
      let text: string;
      try { text = readFileSync(p, 'utf8'); } catch { continue; }
      out.push(...parseRepoFile(text, p));
    }
  }
  return out;
}
