export { repoRoot } from './harness/launcher.js';
