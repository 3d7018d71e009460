// Mode `rpm`: dnf/yum/zypper repositories through the shared Linux repository engine.
// Roots are the directories holding repodata/repomd.xml; packages are verified against primary.xml's
// checksums. repomd.xml.asc is passed on untouched and checked by the client (repo_gpgcheck).
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { defineLinuxRepoMode } from '../linux-repo/mode.js';
import { rpmFormat } from './format.js';
import { discoverRpm } from './discover.js';

export default defineLinuxRepoMode({
  name: 'rpm',
  format: rpmFormat,
  schema: readModeSchema(import.meta.url),
  artifact: /\.(rpm|drpm)$/,
  auxiliary: /\.rpm\.(sig|asc|sha256|sha512)$/,
  snippet: (url) => `baseurl=${url}/<repo> (a [section] of a dnf or zypper .repo file)`,
  discover: () => discoverRpm(),
});
