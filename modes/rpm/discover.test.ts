import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import rpm from './index.js';
import { parseRepoFile, repoSections } from './repo-files.js';

/** rpm's discover hook over `.repo` files written under a stand-in /etc */
async function discovered(files: Record<string, string>): Promise<{ name: string; block: Record<string, unknown> }[]> {
  const d = mkdtempSync(join(tmpdir(), 'cp-rpm-etc-'));
  try {
    for (const [name, text] of Object.entries(files)) { mkdirSync(dirname(join(d, name)), { recursive: true }); writeFileSync(join(d, name), text); }
    process.env.CACHE_PROXY_RPM_ETC_DIR = d;
    return await rpm.discover!();
  } finally {
    delete process.env.CACHE_PROXY_RPM_ETC_DIR;
    rmSync(d, { recursive: true, force: true });
  }
}

test('dnf .repo files: one instance per base (the baseurl before its first variable), named after the repository id', async () => {
  const found = await discovered({
    'yum.repos.d/fedora.repo': '[fedora]\nname=Fedora $releasever - $basearch\nbaseurl=http://mirror.example/fedora/linux/releases/$releasever/Everything/$basearch/os/\nenabled=1\ngpgcheck=1\n\n[fedora-source]\nbaseurl=http://mirror.example/fedora/linux/releases/$releasever/Everything/source/tree/\nenabled=0\n',
    'yum.repos.d/fedora-updates.repo': '[updates]\nbaseurl=http://mirror.example/fedora/linux/updates/$releasever/Everything/$basearch/\n',
    'yum.repos.d/vendor.repo': '# a vendor repository without variables\n[Vendor Tools]\nbaseurl = https://tools.example/rpm/stable/x86_64/\ngpgkey=https://tools.example/key.asc\n',
  });
  // files in name order, as dnf reads them (fedora-updates.repo before fedora.repo)
  assert.equal(found, [
    { name: 'updates', block: { route: { path: '/updates' }, upstreams: ['http://mirror.example/fedora/linux/updates'] } },
    { name: 'fedora', block: { route: { path: '/fedora' }, upstreams: ['http://mirror.example/fedora/linux/releases'] } },
    { name: 'vendor-tools', block: { route: { path: '/vendor-tools' }, upstreams: ['https://tools.example/rpm/stable/x86_64'] } },
  ]);
});

test('zypper .repo files: ${var} forms, yast2 and plaindir media and disabled sections left out, mirrors become upstreams', async () => {
  const found = await discovered({
    'zypp/repos.d/repo-oss.repo': '[repo-oss]\nname=Main Repository\nenabled=1\nautorefresh=1\nbaseurl=http://download.example/distribution/leap/${releasever}/repo/oss/\ntype=rpm-md\n',
    'zypp/repos.d/media.repo': '[dvd]\nbaseurl=http://download.example/iso/\ntype=yast2\n[local]\nbaseurl=http://download.example/plain/\ntype=plaindir\n',
    'zypp/repos.d/off.repo': '[repo-debug]\nenabled=0\nbaseurl=http://download.example/debug/\n',
    'zypp/repos.d/mirrors.repo': '[mirrored]\nbaseurl=http://one.example/pub/$basearch/\n  http://two.example/mirror/pub/$basearch/,http://one.example/pub/$basearch/\n',
  });
  assert.equal(found, [
    { name: 'mirrored', block: { route: { path: '/mirrored' }, upstreams: ['http://one.example/pub', 'http://two.example/mirror/pub'] } },
    { name: 'repo-oss', block: { route: { path: '/repo-oss' }, upstreams: ['http://download.example/distribution/leap'] } },
  ]);
});

test('sections sharing a base are one instance; mirrorlist-only, file: and unnamed-id clashes handled', async () => {
  const found = await discovered({
    'distro.repos.d/centos.repo': '[baseos]\nbaseurl=http://stream.example/$stream/BaseOS/$basearch/os/\n[appstream]\nbaseurl=http://stream.example/$stream/AppStream/$basearch/os/\n[extras]\nmetalink=https://mirrors.example/metalink?repo=extras\n[local]\nbaseurl=file:///srv/repo/\n',
    'yum.repos.d/a.repo': '[tools]\nbaseurl=http://a.example/tools/\n',
    'yum.repos.d/b.repo': '[tools]\nbaseurl=http://b.example/tools/\n',
  });
  assert.equal(found.map((f) => [f.name, (f.block.upstreams as string[]).join(' ')]), [
    ['tools', 'http://a.example/tools'], ['tools-2', 'http://b.example/tools'], ['baseos', 'http://stream.example'],
  ]);
});

test('a machine without repository files discovers nothing; the parser keeps the file each section came from', async () => {
  assert.equal(await discovered({}), []);
  assert.equal(repoSections('/nonexistent-etc'), []);
  assert.equal(parseRepoFile('[x]\nbaseurl=http://h.example/r/\n', '/etc/yum.repos.d/x.repo'), [{ id: 'x', baseurls: ['http://h.example/r/'], file: '/etc/yum.repos.d/x.repo' }]);
});

test.run();
