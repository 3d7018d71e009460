import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openFsStore, StoreError } from './fs-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dir = () => mkdtempSync(join(tmpdir(), 'store-'));

test('lock: a second open fails naming the pid; a stale lock is taken over', async () => {
  const d = dir();
  const s = await openFsStore(d);
  const child = spawn(process.execPath, ['-e', `import(${JSON.stringify(fileURLToPath(new URL('./fs-store.js', import.meta.url)))}).then(m => m.openFsStore(${JSON.stringify(d)})).then(() => process.exit(0), e => { console.log(e.code); process.exit(1); })`], { stdio: 'pipe' });
  let out = '';
  child.stdout.on('data', (x) => { out += x; });
  const code = await new Promise((r) => child.on('close', r));
  assert.is(code, 1);
  assert.match(out, /E_LOCKED/);
  await s.close();
  writeFileSync(join(d, 'lock'), '999999');
  const again = await openFsStore(d);
  await again.close();
  rmSync(d, { recursive: true });
});

test('unknown store format → E_FORMAT; planted tmp files gone; corrupt entries dropped; privateDir escapes refused', async () => {
  const d = dir();
  writeFileSync(join(d, 'store.json'), '{"format": 9}');
  await openFsStore(d).then(() => assert.unreachable(), (e) => { assert.ok(e instanceof StoreError); assert.is((e as StoreError).code, 'E_FORMAT'); });
  rmSync(join(d, 'store.json'));
  mkdirSync(join(d, 'tmp'), { recursive: true });
  writeFileSync(join(d, 'tmp', 'x.part'), 'junk');
  const s = await openFsStore(d);
  assert.equal(readdirSync(join(d, 'tmp')), []);
  const kh = 'a'.repeat(64);
  mkdirSync(join(d, 'entries', 'i', 'aa'), { recursive: true });
  writeFileSync(join(d, 'entries', 'i', 'aa', `${kh}.json`), '{oops');
  assert.is(await s.entries.get('i', kh), null);
  assert.not.ok(existsSync(join(d, 'entries', 'i', 'aa', `${kh}.json`)));
  assert.throws(() => s.privateDir('../x'));
  await s.close();
  rmSync(d, { recursive: true });
});

test('commit dedups; crash-safety: SIGKILL during commits leaves tmp/ empty after reopen and every blob hashing to its name', async () => {
  const d = dir();
  const s = await openFsStore(d);
  const b = Buffer.from('same bytes');
  for (let i = 0; i < 2; i++) { const t = s.tempPath(); writeFileSync(t, b); assert.is(await s.blobs.commit(t, sha(b)), i === 0 ? 'stored' : 'existed'); }
  await s.close();
  const mod = fileURLToPath(new URL('./fs-store.js', import.meta.url));
  const script = `
    const { openFsStore } = await import(${JSON.stringify(mod)});
    const { createHash, randomBytes } = await import('node:crypto');
    const fs = await import('node:fs');
    const s = await openFsStore(${JSON.stringify(d)});
    for (;;) {
      const body = randomBytes(256 * 1024);
      const t = s.tempPath('.part');
      const fh = fs.openSync(t, 'w'); fs.writeSync(fh, body); fs.fsyncSync(fh); fs.closeSync(fh);
      await s.blobs.commit(t, createHash('sha256').update(body).digest('hex'));
      process.stdout.write('c');
      fs.writeFileSync(s.tempPath('.part'), body.subarray(0, 1000));
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let commits = 0;
  // killed once a few blobs are committed, whenever that is on a loaded machine
  await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => { commits += d.length; if (commits >= 3) r(); }));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const s2 = await openFsStore(d);
  assert.equal(readdirSync(join(d, 'tmp')), []);
  let n = 0;
  for await (const blob of s2.blobs.list()) { n++; assert.is(sha(readFileSync(s2.blobs.localPath!(blob.digest))), blob.digest); }
  assert.ok(n > 1, `${n} blobs committed before the kill`);
  await s2.close();
  rmSync(d, { recursive: true, force: true });
});
test.run();
