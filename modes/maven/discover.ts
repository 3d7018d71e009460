// Embedded default (no configuration file): a maven instance in front of the mirror this machine's Maven uses,
// read from the user settings (`~/.m2/settings.xml`, or the file `-s` would name via $MAVEN_SETTINGS) at run time.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

export interface MavenDiscoverOptions { env?: NodeJS.ProcessEnv; settingsFile?: string }

interface Mirror { url?: unknown; mirrorOf?: unknown }
const parser = new XMLParser({ ignoreAttributes: true, isArray: (name) => name === 'mirror', parseTagValue: false });

/** the mirror URL a settings.xml names for Maven's default repository (`*`, `central`, `external:*`), else its first mirror */
export function mirrorOfSettings(xml: string): string | undefined {
  let doc: { settings?: { mirrors?: { mirror?: Mirror[] } } };
  try { doc = parser.parse(xml) as typeof doc; } catch { return undefined; }
  const mirrors = (doc.settings?.mirrors?.mirror ?? []).filter((m) => typeof m.url === 'string' && /^https?:\/\/[^/]/.test(m.url.trim()));
  const ofCentral = (m: Mirror) => String(m.mirrorOf ?? '').split(',').map((s) => s.trim()).some((s) => s === '*' || s === 'central' || s === 'external:*');
  const chosen = mirrors.find(ofCentral) ?? mirrors[0];
  return chosen ? String(chosen.url).trim().replace(/\/+$/, '') : undefined;
}

export async function discoverMaven(o: MavenDiscoverOptions = {}): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const env = o.env ?? process.env;
  const file = o.settingsFile ?? env.MAVEN_SETTINGS ?? join(env.HOME ?? homedir(), '.m2', 'settings.xml');
  const url = mirrorOfSettings(await readFile(file, 'utf8').catch(() => ''));
  return url ? [{ name: 'maven', block: { route: { path: '/maven' }, upstream: url } }] : [];
}
