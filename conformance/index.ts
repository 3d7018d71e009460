// Conformance harness, for built-in modes and scaffolded plugins.
export { startFixtureServer, openable, type FixtureServer, type Fault, type Content, type Exchange } from './harness/fixture.js';
export { startProxy, freePort, tmpDir, repoRoot, type ProxyHandle } from './harness/launcher.js';
export { httpGet, curl, type GetResult, type GetOptions } from './harness/http.js';
export { cleanupAll } from './harness/cleanup.js';
export { startFileProxy, fileConfig, type FileProxyOptions } from './harness/file-proxy.js';
export { runConformance, type Expect } from './harness/scenarios.js';
export { recordExchanges, type RecordRequest } from './record.js';
export { startNpmRegistry, loadFixtureRegistry, FIXTURE_DIR as NPM_FIXTURE_DIR, type NpmRegistry, type RegistryData, type PackageDocs } from './harness/npm-registry.js';
export { startNpmProxy, npmConfig, type NpmProxyOptions } from './harness/npm-proxy.js';
export { run, npm, appCopy, clientHome, clientAvailable, CLIENTS, type RunResult } from './harness/npm-clients.js';
export { startShim, type Shim, type ShimFaults, type ShimRequest } from './harness/shim.js';
export { startRegistry, type Registry, type RegistryAuth } from './harness/oci/registry.js';
export { startTokenIssuer, type TokenIssuer } from './harness/oci/token-issuer.js';
export { aptClient, type AptClient, type AptRun } from './harness/apt.js';
export { buildDebFixture, startDebProxy, debSources, flatSource, sha256, upstreamCount, servedGeneration, pinnedSha256, waitFor, type DebFixture } from './harness/deb.js';
export { startMavenRepo, MAVEN_FIXTURE_DIR, type MavenRepo } from './harness/maven-repo.js';
export { startMavenProxy, mavenConfig } from './harness/maven-proxy.js';
export { mvn, mvnAvailable, freshLocalRepository, mirrorSettings, projectCopy, BUILD as MVN_BUILD } from './harness/maven-client.js';
