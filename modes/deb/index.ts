// Mode `deb`: apt repositories through the shared Linux repository engine.
// Distribution roots `<base>/dists/<suite>`, flat roots, by-hash, pool/ shared by every suite of a base.
// OpenPGP signatures (InRelease, Release.gpg) are passed on untouched and checked by apt (`signed-by`).
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { defineLinuxRepoMode } from '../linux-repo/mode.js';
import { debFormat } from './format.js';
import { discoverApt } from './discover.js';

export default defineLinuxRepoMode({
  name: 'deb',
  format: debFormat,
  schema: readModeSchema(import.meta.url),
  artifact: /\.(deb|udeb|ddeb|dsc|diff\.gz|buildinfo)$|\.(orig|debian)(-[^/]+)?\.tar(\.[a-z0-9]+)?$/,
  auxiliary: /\.(deb|udeb|dsc|tar\.[a-z0-9]+)\.(sig|asc|sha256|sha512|md5|md5sum)$/,
  // apt asks `<flat repo>/./InRelease` for `deb URL ./`
  dotSegments: 'drop',
  snippet: (url) => `deb ${url} <suite> main`,
  // embedded default: one instance per archive base of this machine's apt sources, named after what it serves
  discover: () => discoverApt(),
});
