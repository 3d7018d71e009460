import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import deb from './index.js';

async function discovered(files: Record<string, string>): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const d = mkdtempSync(join(tmpdir(), 'cp-apt-'));
  try {
    mkdirSync(join(d, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
    process.env.CACHE_PROXY_APT_DIR = d;
    return await deb.discover!();
  } finally {
    delete process.env.CACHE_PROXY_APT_DIR;
    rmSync(d, { recursive: true, force: true });
  }
}

test('one-line sources: instances named after the archive they serve (debian, debian-security)', async () => {
  const found = await discovered({ 'sources.list': 'deb http://deb.example/debian bookworm main\ndeb http://deb.example/debian bookworm-updates main\ndeb http://deb.example/debian-security bookworm-security main\n' });
  assert.equal(found, [
    { name: 'debian', block: { route: { path: '/debian' }, upstreams: ['http://deb.example/debian'] } },
    { name: 'debian-security', block: { route: { path: '/debian-security' }, upstreams: ['http://deb.example/debian-security'] } },
  ]);
});

test('deb822 sources: the same names', async () => {
  const found = await discovered({
    'sources.list.d/debian.sources': 'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\nComponents: main\n',
  });
  assert.equal(found.map((f) => [f.name, (f.block.route as { path: string }).path]), [['debian', '/debian'], ['debian-security', '/debian-security']]);
});

test('a security archive at the same path gets its suite family; other hosts with the same path stay unique', async () => {
  const found = await discovered({
    'sources.list': 'deb http://archive.example/ubuntu jammy main\ndeb http://archive.example/ubuntu jammy-updates main\ndeb http://security.example/ubuntu jammy-security main\n',
    'sources.list.d/third.list': 'deb https://vendor.example/ubuntu jammy main\ndeb https://other.vendor.example/ubuntu jammy main\ndeb https://vendor.example/lts/ubuntu jammy main\n',
    'sources.list.d/root.sources': 'Types: deb\nURIs: https://tools.example/\nSuites: stable\nComponents: main\n',
  });
  assert.equal(found.map((f) => f.name), ['ubuntu', 'ubuntu-security', 'tools', 'ubuntu-vendor', 'ubuntu-other', 'ubuntu-vendor-2']);
});

test.run();
