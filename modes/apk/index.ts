// Mode `apk`: Alpine (apk v2) repositories through the shared Linux repository engine.
// One root per `APKINDEX.tar.gz` directory; the index is both primary and package index; each package's
// control segment checked against the index's `C:` (and its data against .PKGINFO's datahash) before commit.
// Signatures (`.SIGN.RSA.*` members, `.sig`/`.asc` files) are passed on untouched and checked by apk.
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { defineLinuxRepoMode } from '../linux-repo/mode.js';
import { apkFormat } from './format.js';

export default defineLinuxRepoMode({
  name: 'apk',
  format: apkFormat,
  schema: readModeSchema(import.meta.url),
  artifact: /\.apk$/,
  auxiliary: /\.apk\.(sig|asc|sha256|sha512)$/,
  snippet: (url) => `echo "${url}/<version>/main" >> /etc/apk/repositories`,
});
