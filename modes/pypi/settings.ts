// The pypi block as hooks read it (ctx.settings): parsed once per instance, after the engine filled in the
// defaults of schema.json.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import { parseSize } from '../../engine/config/values.js';

export interface PypiSettings {
  /** the index base, no trailing slash; pages live at `<upstream>/simple/` */
  upstream: string;
  upstreamUrl: URL;
  /** 'auto': files origins are learned from the pages; else the configured list */
  fileHosts: 'auto' | URL[];
  proxyJson: boolean;
  proxyCoreMetadata: boolean;
  proxySignatures: boolean;
  requireKnownHash: boolean;
  /** largest page buffered for validation, the file ledger and rewriting */
  maxPageBytes: number;
}

export function parsePypi(c: ModeConfig): PypiSettings {
  const upstream = String(c.upstream).replace(/\/+$/, '');
  return {
    upstream,
    upstreamUrl: new URL(upstream),
    fileHosts: Array.isArray(c.file_hosts) ? (c.file_hosts as string[]).map((u) => new URL(u)) : 'auto',
    proxyJson: c.proxy_json !== false,
    proxyCoreMetadata: c.proxy_core_metadata !== false,
    proxySignatures: c.proxy_signatures !== false,
    requireKnownHash: c.require_known_hash !== false,
    maxPageBytes: parseSize((c.max_page_size as string | number | undefined) ?? '256MiB'),
  };
}

export const settings = modeSettings(parsePypi);
