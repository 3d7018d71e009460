// The maven block as hooks read it (ctx.settings): parsed once per instance, after the engine filled in the
// defaults of schema.json.
import { modeSettings, type ModeConfig } from '../../engine/mode.js';
import type { SidecarAlgo } from '../shared/checksum-sidecar.js';

export interface MavenSettings {
  upstream: string;
  /** sidecars tried in order when verifying a release or snapshot file */
  checksumAlgorithms: SidecarAlgo[];
  /** no usable sidecar: serve without storing (true) or store unverified (false) */
  checksumRequired: boolean;
  validateXml: boolean;
}

export const settings = modeSettings((c: ModeConfig): MavenSettings => ({
  upstream: String(c.upstream).replace(/\/+$/, ''),
  checksumAlgorithms: (c.checksum_algorithms as SidecarAlgo[] | undefined) ?? ['sha1'],
  checksumRequired: c.checksum_required === true,
  validateXml: c.validate_xml !== false,
}));
