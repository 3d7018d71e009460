// The cargo block as hooks read it (ctx.settings): parsed once per instance, after the engine filled in the
// defaults of schema.json.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';

export interface CargoSettings {
  /** the sparse index root, without `sparse+` and trailing slashes */
  upstream: string;
  upstreamOrigin: string;
  authRequired: boolean;
  authDownloads: boolean;
  /** replaces the upstream's `dl` template when set */
  downloadTemplate?: string;
}

export const upstreamOf = (c: ModeConfig): string => String(c.upstream).replace(/^sparse\+/, '').replace(/\/+$/, '');

export const settings = modeSettings((c: ModeConfig): CargoSettings => {
  const upstream = upstreamOf(c);
  return {
    upstream,
    upstreamOrigin: new URL(upstream).origin,
    authRequired: c.auth_required === true,
    authDownloads: c.auth_downloads === true,
    downloadTemplate: typeof c.download_template === 'string' ? c.download_template : undefined,
  };
});
