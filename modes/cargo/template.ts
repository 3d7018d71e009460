// The `dl` template of a sparse registry, expanded exactly as cargo does.
import { indexDir } from './names.js';

// cargo counts `{sha256-checksum}` as a marker too (checked against real cargo in conformance/cargo-fetch.test.ts)
const MARKERS = ['{crate}', '{version}', '{prefix}', '{lowerprefix}', '{sha256-checksum}'];

export interface DownloadFacts {
  /** the name as the index entry spells it */
  crate: string;
  version: string;
  /** the entry's sha256 */
  cksum: string;
}

export function expandTemplate(template: string, f: DownloadFacts): string {
  // cargo's compatibility rule: a template with no marker is a base the default layout hangs off
  const t = MARKERS.some((m) => template.includes(m)) ? template : `${template.replace(/\/+$/, '')}/{crate}/{version}/download`;
  const prefix = indexDir(f.crate);
  return t
    .replaceAll('{crate}', f.crate)
    .replaceAll('{version}', f.version)
    .replaceAll('{prefix}', prefix)
    .replaceAll('{lowerprefix}', prefix.toLowerCase())
    .replaceAll('{sha256-checksum}', f.cksum);
}
