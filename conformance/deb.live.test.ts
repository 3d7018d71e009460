// Opt-in live check (`npm run test:live`): the deb mode in front of the Debian mirror this machine's apt
// uses. The mirror URL is read from the apt sources at run time and written nowhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { aptSources } from '../modes/deb/apt-sources.js';
import { aptClient, startDebProxy, httpGet, cleanupAll } from './index.js';

test.after(cleanupAll);

test('live: apt-get update + download of one package through the proxy, then served from the cache', async () => {
  const src = aptSources().find((s) => s.types.includes('deb') && s.suites.length && !s.suites[0]!.endsWith('/') && s.components.includes('main'));
  assert.ok(src, 'this machine has no apt source with a "main" component to test against');
  const { proxy, url } = await startDebProxy([src!.uri], '      cold_wait: 120s\n');
  const suite = src!.suites[0]!;
  const line = `deb ${src!.signedBy ? `[signed-by=${src!.signedBy}] ` : ''}${url} ${suite} main`;
  const c = aptClient([line]);
  const up = await c.update();
  assert.is(up.code, 0, up.out);
  assert.not.match(up.out, /Hash Sum mismatch|^Err:|^W: /m, up.out);
  const dl = await c.download(['hello']);
  assert.is(dl.code, 0, dl.out);
  const deb = readdirSync(join(c.dir, 'dl')).find((n) => n.startsWith('hello_') && n.endsWith('.deb'));
  assert.ok(deb, dl.out);
  const pool = /Get:\d+ \S+ \S+ \S+ hello \S+ (\S+)/.exec(dl.out);
  // the same package again, from the store: HIT with identical bytes
  const summary = JSON.parse((await httpGet(`${proxy.url}/-/status/summary`)).body.toString()) as { instances: { details?: { roots: { root: string; packages: number }[] } }[] };
  const root = summary.instances[0]!.details!.roots.find((r) => r.root.endsWith(`dists/${suite}`))!;
  assert.ok(root.packages > 1000, `package index of ${root.root}: ${root.packages} entries`);
  const local = readFileSync(join(c.dir, 'dl', deb!));
  const name = decodeURIComponent(deb!).replace(/%3a/gi, ':');
  const d = aptClient([line]);
  assert.is((await d.update()).code, 0);
  const again = await d.download(['hello']);
  assert.is(again.code, 0, again.out);
  assert.ok(readFileSync(join(d.dir, 'dl', deb!)).equals(local));
  const metrics = (await httpGet(`${proxy.url}/metrics`)).body.toString();
  assert.match(metrics, /cache_proxy_requests_total\{[^}]*kind="artifact"[^}]*cache="HIT"[^}]*\} [1-9]/, 'the second download was a cache HIT');
  console.log(`live: ${name} (${local.length} bytes, sha256 ${createHash('sha256').update(local).digest('hex').slice(0, 16)}…) via ${suite}${pool ? ` ${pool[1]}` : ''}; index ${root.packages} packages`);
});

test.run();
