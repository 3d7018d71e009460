// The apk fixture for unit tests (built once per test process: ../linux-repo/fixture-once.ts).
import { fixtureOnce } from '../linux-repo/fixture-once.js';

export const REPO_DIR = 'v3.20/main/x86_64';
export const apkFixture = fixtureOnce('apk', 'make.mjs');
