// Conformance harness, for built-in modes and scaffolded plugins.
export { startFixtureServer, type FixtureServer, type Fault, type Content, type Exchange } from './harness/fixture.js';
export { startProxy, freePort, tmpDir, repoRoot, type ProxyHandle } from './harness/launcher.js';
export { httpGet, curl, type GetResult, type GetOptions } from './harness/http.js';
export { cleanupAll } from './harness/cleanup.js';
export { startFileProxy, fileConfig, type FileProxyOptions } from './harness/file-proxy.js';
export { runConformance } from './harness/scenarios.js';
export { startShim, type Shim, type ShimFaults, type ShimRequest } from './harness/shim.js';
export { startRegistry, type Registry, type RegistryAuth } from './harness/oci/registry.js';
export { startTokenIssuer, type TokenIssuer } from './harness/oci/token-issuer.js';
