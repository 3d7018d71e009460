// The deb fixture for unit tests (built once per test process: ../linux-repo/fixture-once.ts).
import { fixtureOnce } from '../linux-repo/fixture-once.js';

export const debFixture = fixtureOnce('deb', 'make.sh');
