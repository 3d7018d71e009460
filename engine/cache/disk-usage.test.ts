import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureBackend, blobOwnersOnDisk, BackendUsage } from './disk-usage.js';

const duSb = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

function backend(): string {
  const root = mkdtempSync(join(tmpdir(), 'cp-du-'));
  const a = 'a'.repeat(64), b = 'b'.repeat(64), c = 'c'.repeat(64);
  const put = (rel: string, bytes: number | string) => { const p = join(root, rel); mkdirSync(join(p, '..'), { recursive: true }); writeFileSync(p, typeof bytes === 'string' ? bytes : Buffer.alloc(bytes)); };
  put('store.json', '{"format":1}\n');
  put(`blobs/sha256/aa/${a}`, 10_000);
  put(`blobs/sha256/bb/${b}`, 20_000);
  put(`blobs/sha256/cc/${c}`, 30_000); // owned by nobody
  put(`entries/one/11/${'1'.repeat(64)}.json`, JSON.stringify({ kind: 'tarball', size: 10_000, blob: `sha256:${a}` }));
  put(`entries/two/22/${'2'.repeat(64)}.json`, JSON.stringify({ kind: 'file', size: 20_000, blob: `sha256:${b}` }));
  put('state/scheduler.json', '{}');
  put('state/two/roots.json', '{"x":1}');
  put('modes/two/lists/Packages', 5_000);
  put('tmp/x.part', 700);
  linkSync(join(root, 'modes/two/lists/Packages'), join(root, 'modes/two/lists/Packages.hardlink'));
  return root;
}

test('the total is what du -sb counts; every byte is an instance\'s or shared', async () => {
  const root = backend();
  try {
    const owners = await blobOwnersOnDisk(root);
    assert.is(owners.get('a'.repeat(64)), 'one');
    const u = await measureBackend(root, (h) => owners.get(h), { kinds: true });
    assert.is(u.total_bytes, duSb(root));
    assert.is(u.instances.one!.blob_bytes, 10_000);
    assert.is(u.instances.two!.blob_bytes, 20_000);
    assert.ok(u.instances.two!.mode_bytes >= 5_000 && u.instances.two!.mode_bytes < 5_000 + 3 * 8192, 'a hard link counted once');
    assert.ok(u.instances.two!.state_bytes >= 7);
    assert.equal(u.instances.one!.kinds, { tarball: { entries: 1, bytes: 10_000 } });
    const sum = Object.values(u.instances).reduce((n, i) => n + i.bytes, 0);
    assert.is(sum + u.shared_bytes, u.total_bytes);
    assert.ok(u.shared_bytes >= 30_000 + 700, 'unowned blob and tmp are shared');
    assert.ok(u.areas.blobs! >= 60_000 && u.areas.tmp! >= 700 && u.areas.other! >= 13, 'areas');
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test('a young result is reused, fresh asks again, callers share one walk', async () => {
  const root = backend();
  try {
    let walks = 0;
    const usage = new BackendUsage(async (kinds) => { walks++; return measureBackend(root, () => undefined, { kinds }); });
    const [x, y] = await Promise.all([usage.get(), usage.get()]);
    assert.is(walks, 1);
    assert.is(x, y);
    writeFileSync(join(root, 'tmp/y.part'), Buffer.alloc(1000));
    assert.is((await usage.get()).total_bytes, x.total_bytes, 'cached');
    assert.is((await usage.get({ fresh: true })).total_bytes, duSb(root));
    assert.is(walks, 2);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test.run();
