// The CNCF distribution registry (Debian `docker-registry`) as a pull-through cache (`proxy.remoteurl`)
// in front of a remote registry — which must already be up: the cache panics at start otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../../conformance/harness/oci/registry.js';
import { ensureDebianPackage, type Peer } from './nginx.js';

export async function startDistributionCache(remoteurl: string): Promise<Peer & { host: string }> {
  ensureDebianPackage('docker-registry', 'docker-registry');
  const dir = mkdtempSync(join(tmpdir(), 'bench-distribution-'));
  const reg = await startRegistry({ dir, remoteurl });
  return {
    url: reg.url, host: reg.host,
    pids: () => [reg.pid],
    stop: async () => { await reg.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}
