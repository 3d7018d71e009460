// What the per-mode replay recordings share: one recording per mode (bodies shared by its scenarios in
// `replay/bodies/`), scenario directories written from it, and small builders for expectations.
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/launcher.js';
import type { Exchange } from '../harness/fixture.js';
import type { Expect } from '../harness/scenarios.js';
import { recordExchanges, toJsonl, sha256, type RecordRequest } from '../record.js';

export { sha256 };
export const replayDir = (mode: string) => join(repoRoot, 'conformance/fixtures', mode, 'replay');

export interface Scenario {
  name: string;
  /** the mode block; `${UPSTREAM}` = the replay server */
  instance: string;
  exchanges: Exchange[];
  expect: Expect[];
  /** extra files of the scenario (expected bodies), by name */
  files?: Record<string, string>;
}

export interface Recording {
  dir: string;
  exchanges: Exchange[];
  /** the recorded exchange of `METHOD /path` (with these request headers, when given) */
  ex(request: string, headers?: Record<string, string>): Exchange;
  /** the bytes the upstream sent in an exchange, origin placeholder included */
  bytes(e: Exchange): Buffer;
}

/** empties replay/ (but its README), records the requests from the live upstream into replay/bodies */
export async function record(mode: string, upstream: string, requests: RecordRequest[]): Promise<Recording> {
  const dir = replayDir(mode);
  mkdirSync(dir, { recursive: true });
  for (const n of readdirSync(dir)) if (n !== 'README.md') rmSync(join(dir, n), { recursive: true, force: true });
  const exchanges = await recordExchanges(upstream, requests, { bodiesDir: join(dir, 'bodies'), relativeTo: join(dir, 'scenario') });
  return {
    dir, exchanges,
    ex: (request, headers) => {
      const [method, path] = request.split(' ');
      const e = exchanges.find((x) => x.method === method && x.path === path && (!headers || JSON.stringify(x.match_headers) === JSON.stringify(headers)));
      if (!e) throw new Error(`not recorded: ${request} ${JSON.stringify(headers ?? {})}`);
      return { ...e };
    },
    bytes: (e) => (e.body_file ? readFileSync(join(dir, 'scenario', e.body_file)) : Buffer.from(e.body ?? '')),
  };
}

export function writeScenarios(rec: Recording, scenarios: Scenario[]): void {
  for (const s of scenarios) {
    const d = join(rec.dir, s.name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'instance.yaml'), s.instance.trim() + '\n');
    writeFileSync(join(d, 'exchanges.jsonl'), toJsonl(s.exchanges));
    writeFileSync(join(d, 'expect.jsonl'), toJsonl(s.expect));
    for (const [n, text] of Object.entries(s.files ?? {})) writeFileSync(join(d, n), text);
  }
}

/** an expectation: `METHOD /path` (GET when no method), then what must be seen */
export function expect(request: string, want: Omit<Expect, 'request'> & { headers_sent?: Record<string, string> } = {}): Expect {
  const [a, b] = request.split(' ');
  const [method, path] = b === undefined ? ['GET', a!] : [a!, b];
  const { headers_sent, ...rest } = want;
  return { request: { path, ...(method !== 'GET' ? { method } : {}), ...(headers_sent ? { headers: headers_sent } : {}) }, ...rest };
}
