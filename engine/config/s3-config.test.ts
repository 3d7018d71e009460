// storage.s3 and an s3:// server.backend: defaults, $ENV secrets, and the errors `validate` reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfigText, formatIssue, printEffective } from './load.js';
import { builtinModes } from '../../modes/index.js';

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfigText(text, { file: 'cache-proxy.yaml', env, modes: builtinModes });
const INST = `instances:\n  - { name: files, enabled: true, file: { route: { path: /files }, upstreams: [https://files.example] } }\n`;

test('an s3:// backend gets storage.s3 defaults and $ENV credentials (redacted when printed)', () => {
  const r = load(`server: { backend: "s3://cache-bucket/proxy/a" }
storage:
  s3: { endpoint: "http://127.0.0.1:9000", force_path_style: true, access_key_id: $S3_KEY, secret_access_key: "\${S3_SECRET}", local_cache_size: 2GiB }
${INST}`, { S3_KEY: 'AKIAEXAMPLE', S3_SECRET: 'very-secret' });
  assert.equal(r.errors.map(formatIssue), []);
  const s3 = r.config!.storage.s3!;
  assert.equal(s3, { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', force_path_style: true, access_key_id: 'AKIAEXAMPLE', secret_access_key: 'very-secret', local_dir: '~/.cache/cache-proxy-s3', local_cache_size: 2 * 1024 ** 3 });
  const printed = printEffective(r.config!);
  assert.not.ok(printed.includes('very-secret'));
  assert.not.ok(printed.includes('AKIAEXAMPLE'));
  assert.equal(load(printed, {}).errors.map(formatIssue), [], 'the printed configuration validates again');
});

test('an s3:// backend without a storage.s3 block still gets its defaults', () => {
  const r = load(`server: { backend: "s3://cache-bucket" }\n${INST}`);
  assert.equal(r.errors.map(formatIssue), []);
  assert.is(r.config!.storage.s3!.local_dir, '~/.cache/cache-proxy-s3');
  assert.is(r.config!.storage.s3!.local_cache_size, 10 * 1024 ** 3);
});

test('bad values are errors with their place', () => {
  const errs = (text: string, env: NodeJS.ProcessEnv = {}) => load(text, env).errors.map(formatIssue);
  assert.equal(errs(`server: { backend: "s3://Bad_Bucket/x" }\n${INST}`), ['cache-proxy.yaml:1:20: server.backend: "Bad_Bucket" is not a valid bucket name (3-63 characters: lowercase letters, digits, dots and hyphens)']);
  assert.equal(errs(`server: { backend: "s3://bucket/a/../b" }\n${INST}`), ['cache-proxy.yaml:1:20: server.backend: prefix "a/../b" may hold only letters, digits, ".", "_", "-" and single "/" between segments']);
  assert.equal(errs(`server: { backend: "s3://bucket" }\nstorage:\n  s3: { access_key_id: abc }\n${INST}`), ['cache-proxy.yaml:3:7: storage.s3: access_key_id and secret_access_key are set together (or neither, for the SDK\'s default credentials)']);
  assert.equal(errs(`server: { backend: "s3://bucket" }\nstorage:\n  s3: { endpoint: "ftp://x", local_cache_size: lots }\n${INST}`).length, 2);
  assert.equal(errs(`server: { backend: "s3://bucket" }\nstorage:\n  s3: { access_key_id: $NOPE, secret_access_key: $NOPE2 }\n${INST}`).map((e) => e.replace(/^[^ ]+ /, '')), ['storage.s3.access_key_id: environment variable NOPE is not set', 'storage.s3.secret_access_key: environment variable NOPE2 is not set']);
  assert.equal(errs(`server: { backend: "s3://bucket" }\nstorage:\n  s3: { regio: x }\n${INST}`).map((e) => e.replace(/^[^ ]+ /, '')), ['storage.s3.regio: unknown key "regio" (did you mean "region"?)']);
});

test('storage.s3 beside a directory backend is a warning, not used', () => {
  const r = load(`server: { backend: /var/cache/x }\nstorage:\n  s3: { region: eu-west-1 }\n${INST}`);
  assert.equal(r.errors, []);
  assert.ok(r.warnings.map(formatIssue).some((w) => w.includes('storage.s3: ignored: server.backend is a directory')));
  assert.is(r.config!.storage.s3, undefined);
});

test.run();
