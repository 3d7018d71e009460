// The recorder: fetches requests from a live upstream and writes them as replayable exchanges (engine spec §2.5):
// status, the headers that matter, bodies in `bodies/<sha256>`, the upstream's origin replaced by `${UPSTREAM}`
// (the replay server puts its own URL there).
//   node dist/conformance/record.js <upstream-url> <out-dir> 'GET /path' 'HEAD /other' ...
//   node dist/conformance/record.js <upstream-url> <out-dir> --json requests.json   ([{method, path, headers}])
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPSTREAM_PLACEHOLDER, type Exchange } from './harness/fixture.js';

export interface RecordRequest {
  method?: 'GET' | 'HEAD';
  /** path (and query) below the upstream URL */
  path: string;
  /** sent upstream, and the headers the replay matches on */
  headers?: Record<string, string>;
}

/** response headers a replay needs (validators, types, digests, auth challenges, redirects, pagination) */
export const KEPT_HEADERS = [
  'content-type', 'content-length', 'content-encoding', 'content-disposition', 'etag', 'last-modified', 'cache-control', 'expires',
  'vary', 'location', 'www-authenticate', 'retry-after', 'link', 'docker-content-digest', 'docker-distribution-api-version', 'oci-filters-applied',
];

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function fetchRaw(url: URL, method: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((ok, fail) => {
    const req = send(url, { method, headers: { 'accept-encoding': 'identity', ...headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
        ok({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(parts) });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url.href}`)));
    req.end();
  });
}

const replaceAll = (b: Buffer, from: string, to: string) => (b.includes(from) ? Buffer.from(b.toString('latin1').split(from).join(to), 'latin1') : b);

/**
 * Records each request in order; bodies go to `bodiesDir/<sha256 of the stored bytes>` and exchanges name them
 * relative to `relativeTo` (the scenario directory that will hold exchanges.jsonl).
 */
export async function recordExchanges(upstream: string, requests: RecordRequest[], o: { bodiesDir: string; relativeTo: string }): Promise<Exchange[]> {
  const base = new URL(upstream);
  const prefix = base.pathname.replace(/\/+$/, '');
  const origin = base.origin;
  mkdirSync(o.bodiesDir, { recursive: true });
  const out: Exchange[] = [];
  for (const r of requests) {
    const method = r.method ?? 'GET';
    const url = new URL(`${origin}${prefix}${r.path}`);
    const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const res = await fetchRaw(url, method, headers);
    const kept: Record<string, string> = {};
    for (const k of KEPT_HEADERS) if (res.headers[k] !== undefined) kept[k] = res.headers[k]!.split(origin).join(UPSTREAM_PLACEHOLDER);
    const ex: Exchange = { method, path: `${url.pathname}${url.search}`, ...(Object.keys(headers).length ? { match_headers: headers } : {}), status: res.status, headers: kept };
    const body = replaceAll(res.body, origin, UPSTREAM_PLACEHOLDER);
    // the replay server measures bodies it substitutes its origin in
    if (body !== res.body) delete kept['content-length'];
    if (body.length) {
      const file = join(o.bodiesDir, sha256(body));
      if (!existsSync(file)) writeFileSync(file, body);
      ex.body_file = relative(o.relativeTo, file);
    } else {
      ex.body = '';
    }
    out.push(ex);
  }
  return out;
}

export const toJsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** a request written as `METHOD /path` */
export function parseRequest(arg: string): RecordRequest {
  const m = /^(GET|HEAD)\s+(\/\S*)$/.exec(arg.trim());
  if (!m) throw new Error(`not a request: "${arg}" (expected "GET /path" or "HEAD /path")`);
  return { method: m[1] as 'GET' | 'HEAD', path: m[2]! };
}

async function main(argv: string[]): Promise<number> {
  const [upstream, outDir, ...rest] = argv;
  if (!upstream || !outDir || !rest.length) {
    process.stderr.write('usage: record.js <upstream-url> <out-dir> (\'GET /path\' ... | --json requests.json)\n');
    return 2;
  }
  const requests = rest[0] === '--json' ? (JSON.parse(readFileSync(rest[1]!, 'utf8')) as RecordRequest[]) : rest.map(parseRequest);
  const dir = resolve(outDir);
  const exchanges = await recordExchanges(upstream, requests, { bodiesDir: join(dir, 'bodies'), relativeTo: dir });
  writeFileSync(join(dir, 'exchanges.jsonl'), toJsonl(exchanges));
  for (const e of exchanges) process.stdout.write(`${e.status} ${e.method} ${e.path}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2)).catch((e: Error) => { process.stderr.write(`record: ${e.message}\n`); return 1; });
}
