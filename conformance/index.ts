// Conformance harness, for built-in modes and scaffolded plugins.
export { startFixtureServer, type FixtureServer, type Fault, type Content, type Exchange } from './harness/fixture.js';
export { startProxy, freePort, tmpDir, repoRoot, type ProxyHandle } from './harness/launcher.js';
export { httpGet, curl, type GetResult, type GetOptions } from './harness/http.js';
export { cleanupAll } from './harness/cleanup.js';
export { startFileProxy, fileConfig, type FileProxyOptions } from './harness/file-proxy.js';
export { runConformance } from './harness/scenarios.js';
export { aptClient, type AptClient, type AptRun } from './harness/apt.js';
export { buildDebFixture, startDebProxy, debSources, flatSource, sha256, upstreamCount, servedGeneration, pinnedSha256, waitFor, type DebFixture } from './harness/deb.js';
