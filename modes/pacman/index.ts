// Mode `pacman`: pacman sync repositories through the shared Linux repository engine.
// One root per database (`<dir>/<repo>.db`, `.db.tar.*`, `.files`); the database is both primary and package
// index; packages verified against its %SHA256SUM% before commit. Signatures (`.sig`) are passed on untouched.
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { defineLinuxRepoMode } from '../linux-repo/mode.js';
import { pacmanFormat } from './format.js';

export default defineLinuxRepoMode({
  name: 'pacman',
  format: pacmanFormat,
  schema: readModeSchema(import.meta.url),
  artifact: /\.pkg\.tar(\.[a-z0-9]+)?$/,
  auxiliary: /\.pkg\.tar(\.[a-z0-9]+)?\.sig$/,
  snippet: (url) => `Server = ${url}/$repo/os/$arch`,
});
