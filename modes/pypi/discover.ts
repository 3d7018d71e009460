// Embedded default (no configuration file): a pypi instance when this machine's pip has an index configured.
// Read the way pip reads it, at run time: env PIP_INDEX_URL, else `index-url` in the config files (the last
// file that sets it wins: global /etc/xdg/pip/pip.conf and /etc/pip.conf, user ~/.pip/pip.conf and
// ~/.config/pip/pip.conf, the active venv's pip.conf, then PIP_CONFIG_FILE), section [global] (or [install]).
// Only an http(s) index whose pages live at `<base>/simple/` becomes the upstream. pip's built-in default is
// not a configured index, so no instance comes of it; `extra-index-url` and `find-links` entries (often
// file:// directories, as on this machine) are not http indexes and are not used.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PipDiscoverOptions { env?: NodeJS.ProcessEnv; home?: string; globalFiles?: string[] }

/** `index-url` of one pip config text: [global], else [install] (`;`/`#` comments, `key = value`, `key: value`) */
export function indexUrlOfPipConf(text: string): string | undefined {
  const sections: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[([^\]]+)\]$/.exec(line);
    if (s) { section = s[1]!.trim().toLowerCase(); continue; }
    const kv = /^([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && kv[1]!.toLowerCase().replace(/_/g, '-') === 'index-url') sections[section] = kv[2]!.trim();
  }
  return sections.global ?? sections.install;
}

/** the instance base of a pip index URL: `…/simple` (trailing slash or not) → `…`; anything else → null */
export function upstreamOfIndexUrl(url: string): string | null {
  const first = url.trim().split(/\s+/)[0] ?? '';
  if (!/^https?:\/\/[^/]/.test(first)) return null;
  const m = /^(.*)\/simple\/?$/.exec(first);
  return m ? m[1]! : null;
}

export async function discoverPypi(o: PipDiscoverOptions = {}): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const env = o.env ?? process.env;
  let indexUrl = env.PIP_INDEX_URL || undefined;
  if (!indexUrl) {
    const home = o.home ?? env.HOME ?? homedir();
    const files = [
      ...(o.globalFiles ?? ['/etc/xdg/pip/pip.conf', '/etc/pip.conf']),
      join(home, '.pip', 'pip.conf'), join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'pip', 'pip.conf'),
      ...(env.VIRTUAL_ENV ? [join(env.VIRTUAL_ENV, 'pip.conf')] : []),
      ...(env.PIP_CONFIG_FILE && env.PIP_CONFIG_FILE !== '/dev/null' ? [env.PIP_CONFIG_FILE] : []),
    ];
    for (const f of files) indexUrl = indexUrlOfPipConf(await readFile(f, 'utf8').catch(() => '')) ?? indexUrl;
  }
  const upstream = indexUrl ? upstreamOfIndexUrl(indexUrl) : null;
  return upstream ? [{ name: 'pypi', block: { route: { path: '/pypi' }, upstream } }] : [];
}
