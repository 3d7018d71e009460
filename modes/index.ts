// Every built-in mode, in one list. The engine knows them only through this array.
import type { ModeDefinition } from '../engine/mode.js';
import file from './file/index.js';
import npm from './npm/index.js';
import oci from './oci/index.js';
import deb from './deb/index.js';
import rpm from './rpm/index.js';
import pypi from './pypi/index.js';
import cargo from './cargo/index.js';
import go from './go/index.js';
import maven from './maven/index.js';
import pacman from './pacman/index.js';
import apk from './apk/index.js';
import git from './git/index.js';

export const builtinModes: readonly ModeDefinition[] = [file, npm, oci, deb, rpm, pypi, cargo, go, maven, pacman, apk, git];
