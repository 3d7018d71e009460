// A `.crate` is verified against the cksum its index file pinned; the download URL is built from the pinned
// entry and the stored upstream `dl` template (or download_template).
import type { HookContext, Match, Pin, PinnedBy } from '../../engine/mode.js';
import { indexPath } from './names.js';
import { settings } from './settings.js';
import { expandTemplate } from './template.js';
import { upstreamConfig } from './upstream-config.js';

const crateOf = (m: Match) => ({ crate: m.params.crate!, version: m.params.version! });

export async function downloadUrl(pin: Pin, m: Match, ctx: HookContext): Promise<string | undefined> {
  const template = settings.of(ctx).downloadTemplate ?? (await upstreamConfig(ctx))?.dl;
  if (!template || !pin.name || !pin.cksum) return undefined;
  return expandTemplate(template, { crate: pin.name, version: m.params.version!, cksum: pin.cksum });
}

export const cratePins: PinnedBy = {
  pin: (m) => ({ group: m.params.crate!.toLowerCase(), key: m.params.version! }),
  source: (m) => ({ path: indexPath(m.params.crate!) }),
  expected: (pin, m) => {
    if (!pin.cksum) return null;
    const { crate, version } = crateOf(m);
    return {
      sha256: pin.cksum, source: indexPath(crate),
      describe: (_algo, expected, actual) => `checksum mismatch for ${crate}@${version}: index cksum ${expected}, upstream sent ${actual}; nothing was cached`,
    };
  },
  target: downloadUrl,
  unknown: (m) => { const { crate, version } = crateOf(m); return { notFound: `no version ${version} of crate ${crate} in the index` }; },
};
