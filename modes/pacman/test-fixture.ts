// The pacman fixture for unit tests (built once per test process: ../linux-repo/fixture-once.ts).
import { fixtureOnce } from '../linux-repo/fixture-once.js';

export const REPO_DIR = 'fixture/os/x86_64';
export const pacmanFixture = fixtureOnce('pacman', 'make.sh');
