// The access log has one line per request, whoever answered it (cache pipeline, a mode's responder, the
// listener's own rejections, home page and status); start, configuration and shutdown are logged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { startFixtureServer, startFileProxy, httpGet, cleanupAll } from './index.js';

type Line = Record<string, unknown>;
const linesOf = (logs: string): Line[] => logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
const accessLines = (logs: string) => linesOf(logs).filter((l) => l.msg === 'access');

/** sends raw bytes on one connection and waits until the proxy closes it */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

async function settled(read: () => Line[], count: number): Promise<Line[]> {
  for (let i = 0; i < 200 && read().length < count; i++) await new Promise((r) => setTimeout(r, 25));
  return read();
}

test('every request gets exactly one access line; start, configuration and shutdown are logged', async () => {
  const up = await startFixtureServer();
  up.set('/a.bin', { body: Buffer.alloc(1234, 7) });
  const { proxy, X } = await startFileProxy({
    upstreams: [up.url], top: 'log: { access: true }', file: '      default_policy: immutable\n',
    instances: '  - name: py\n    enabled: true\n    pypi: { route: { path: /py }, upstream: "' + up.url + '/simple" }\n',
  });
  try {
    const started = linesOf(proxy.logs());
    const conf = started.find((l) => l.msg === 'configuration');
    assert.ok(conf, 'a configuration summary at start');
    assert.equal((conf!.instances as Line[]).map((i) => [i.name, i.mode, i.at]), [['files', 'file', '/files'], ['py', 'pypi', '/py']]);
    assert.ok(started.some((l) => l.msg === 'ready'));
    const before = accessLines(proxy.logs()).length; // the launcher's readiness probes

    const expected: { status: number; path: string | null; cache?: string; bytes?: number }[] = [];
    const miss = await httpGet(`${X}/a.bin`);
    assert.is(miss.status, 200);
    expected.push({ status: 200, path: '/files/a.bin', cache: 'MISS', bytes: 1234 });
    assert.is((await httpGet(`${X}/a.bin`)).headers['x-cache'], 'HIT');
    expected.push({ status: 200, path: '/files/a.bin', cache: 'HIT', bytes: 1234 });
    const redirect = await httpGet(`${proxy.url}/py/simple/Demo_Name/`);
    assert.is(redirect.status, 301, 'answered by the mode\'s responder');
    expected.push({ status: 301, path: '/py/simple/Demo_Name/' });
    assert.is((await httpGet(`${proxy.url}/nowhere/x`)).status, 404);
    expected.push({ status: 404, path: '/nowhere/x' });
    assert.is((await httpGet(`${X}/a.bin`, { method: 'DELETE' })).status, 405);
    expected.push({ status: 405, path: '/files/a.bin' });
    assert.is((await httpGet(`${X}/${'x'.repeat(9000)}`)).status, 414);
    expected.push({ status: 414, path: `/files/${'x'.repeat(9000)}`.slice(0, 256) });
    const many = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, 'v']));
    assert.is((await httpGet(`${X}/a.bin`, { headers: many })).status, 431);
    expected.push({ status: 431, path: '/files/a.bin' });
    assert.is((await httpGet(`${proxy.url}/`)).status, 200);
    expected.push({ status: 200, path: '/' });
    assert.match(await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'), /^HTTP\/1\.1 400 /);
    expected.push({ status: 400, path: null });

    const got = (await settled(() => accessLines(proxy.logs()).slice(before), expected.length)).filter((l) => l.path !== '/-/status/summary');
    assert.is(got.length, expected.length, JSON.stringify(got, null, 1));
    got.forEach((l, i) => {
      const e = expected[i]!;
      assert.is(l.status, e.status, `line ${i}: ${JSON.stringify(l)}`);
      assert.is(l.path, e.path, `line ${i}`);
      if (e.cache) assert.is(l.cache, e.cache, `line ${i}`);
      if (e.bytes !== undefined) assert.is(l.bytes, e.bytes, `line ${i}`);
    });
    assert.is(got[0]!.instance, 'files');
    assert.is(got[0]!.kind, 'file');
    assert.is(got[2]!.instance, 'py');

    assert.is(await proxy.stop('SIGTERM'), 0);
    const after = linesOf(proxy.logs());
    const down = after.findIndex((l) => l.msg === 'shutting down');
    assert.ok(down >= 0, 'the shutdown is logged');
    assert.is(after[down]!.reason, 'SIGTERM');
    assert.ok(after.slice(down).some((l) => l.msg === 'stopped'), 'and its end');
  } finally {
    await proxy.stop();
    await up.close();
  }
});

test.after(cleanupAll);
test.run();
