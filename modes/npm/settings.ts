// The npm block as hooks read it (ctx.settings): parsed once per instance, after the engine filled in the
// defaults of schema.json.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import { parseSize } from '../../engine/config/values.js';

export interface NpmSettings {
  upstream: string;
  /** origin of `upstream`: tarball URLs there are rewritten through the proxy */
  upstreamOrigin: string;
  /** 'auto': tarball hosts are learned from the documents; else the configured list */
  tarballHosts: 'auto' | string[];
  /** largest packument or document buffered for indexing and rewriting */
  maxDocumentBytes: number;
}

export const settings = modeSettings((c: ModeConfig): NpmSettings => {
  const upstream = String(c.upstream).replace(/\/+$/, '');
  return {
    upstream,
    upstreamOrigin: new URL(upstream).origin,
    tarballHosts: c.tarball_hosts === 'auto' ? 'auto' : (c.tarball_hosts as string[]),
    maxDocumentBytes: parseSize(c.max_metadata_size as string | number),
  };
});
