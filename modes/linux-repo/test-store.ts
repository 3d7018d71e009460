// Tests only: a real filesystem engine store in a temp directory, seen as an instance controller sees it.
import { join } from 'node:path';
import { openFsStore } from '../../engine/cache/fs-store.js';
import { MemoryBlobHolds } from '../../engine/cache/holds.js';
import { instanceBlobs } from '../../engine/controller.js';
import type { InstanceBlobs, ModeState } from '../../engine/mode.js';
import type { Store } from '../../engine/cache/store.js';

export interface TestStore { store: Store; holds: MemoryBlobHolds; blobs: InstanceBlobs; state: ModeState; tmpDir: string; blobDir: string }

export async function testStore(dir: string, instance = 'debian'): Promise<TestStore> {
  const store = await openFsStore(dir);
  const holds = new MemoryBlobHolds();
  return {
    store, holds, blobs: instanceBlobs(instance, { blobs: store.blobs, temp: store, holds }),
    state: { read: (n) => store.state.read(`${instance}/${n}`), write: (n, d) => store.state.write(`${instance}/${n}`, d) },
    tmpDir: join(dir, 'tmp'), blobDir: join(dir, 'blobs', 'sha256'),
  };
}
