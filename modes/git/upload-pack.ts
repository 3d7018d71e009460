// Serving one snapshot with git's own upload-pack in stateless-RPC mode, as `git http-backend` does: the
// advertisement (v0/v1 with the `# service=` preamble, v2 without) and the POSTed exchanges (negotiation
// and pack, or v2 ls-refs/fetch), streamed. Identical exchanges in flight share one upload-pack run.
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { RespondOutput } from '../../engine/mode.js';
import { spawnGit } from './git-process.js';
import { pktLine, uniqueRefLines } from './pkt-line.js';
import type { SharedRuns, Started } from './shared-runs.js';

export interface ServeTarget { dir: string; namespace: string; protocol: string | undefined; agent: string }

const FLUSH = '0000';
const ADVERTISEMENT = 'application/x-git-upload-pack-advertisement';
const RESULT = 'application/x-git-upload-pack-result';

/** the client's Git-Protocol header as GIT_PROTOCOL (colon-separated key=value), v2 left out when disabled */
export function gitProtocol(header: string | undefined, v2: boolean): string | undefined {
  if (!header || !/^[A-Za-z0-9=:._-]{1,256}$/.test(header)) return undefined;
  const kept = header.split(':').filter((p) => v2 || p !== 'version=2');
  return kept.length ? kept.join(':') : undefined;
}

export const isV2 = (protocol: string | undefined) => !!protocol?.split(':').includes('version=2');

const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'no-cache', 'x-cache': 'MIRROR' });
const failed = (error: string): RespondOutput => ({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `upload-pack failed: ${error}\n` });

export async function advertise(t: ServeTarget): Promise<RespondOutput> {
  const preamble = isV2(t.protocol) ? undefined : Buffer.from(pktLine('# service=git-upload-pack\n') + FLUSH);
  const s = startUploadPack(t, ['--advertise-refs'], undefined);
  const f = await s.first;
  if (!f.data && f.error !== undefined) return failed(f.error);
  if (!f.data) return { status: 200, headers: headers(ADVERTISEMENT), body: preamble ?? Buffer.alloc(0) };
  if (!preamble) return { status: 200, headers: headers(ADVERTISEMENT), body: s.output };
  const out = new PassThrough();
  out.write(preamble);
  s.output.on('error', (e) => out.destroy(e)).pipe(out);
  out.once('close', () => s.output.destroy());
  return { status: 200, headers: headers(ADVERTISEMENT), body: out };
}

/** what makes two exchanges the same: the mirror, its snapshot, the protocol and the request bytes */
export function exchangeKey(t: ServeTarget, body: Buffer): string {
  return createHash('sha256').update(`${t.dir}\0${t.namespace}\0${t.protocol ?? ''}\0`).update(body).digest('hex');
}

export async function exchange(t: ServeTarget, body: Buffer, command: string | undefined, shared: SharedRuns, counted?: { run(): void; join(): void }): Promise<RespondOutput> {
  const j = await shared.open(exchangeKey(t, body), () => startUploadPack(t, [], body), counted);
  if (!j.data) return j.error !== undefined ? failed(j.error) : { status: 200, headers: headers(RESULT), body: Buffer.alloc(0) };
  if (command !== 'ls-refs') return { status: 200, headers: headers(RESULT), body: j.body };
  // a ref list (one short line per ref): read whole to list each ref once
  const parts: Buffer[] = [];
  try {
    for await (const c of j.body as AsyncIterable<Buffer>) parts.push(c);
  } catch (e) {
    return failed((e as Error).message);
  }
  return { status: 200, headers: headers(RESULT), body: uniqueRefLines(Buffer.concat(parts)) };
}

/**
 * upload-pack started: its output ends only when it exited 0 (else it is destroyed with its stderr), and
 * `first` tells whether it wrote any byte before it ended. Destroying the output kills it.
 */
export function startUploadPack(t: ServeTarget, args: string[], input: Buffer | undefined): Started {
  const env: Record<string, string> = { GIT_NAMESPACE: t.namespace, GIT_USER_AGENT: t.agent };
  if (t.protocol) env.GIT_PROTOCOL = t.protocol;
  const child = spawnGit(['upload-pack', '--stateless-rpc', ...args, t.dir], { env });
  const output = new PassThrough();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 8192) stderr += d; });
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input ?? Buffer.alloc(0));
  child.stdout!.pipe(output, { end: false });
  output.once('close', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const first = new Promise<Awaited<Started['first']>>((resolve) => {
    let data = false;
    child.stdout!.once('data', () => { data = true; resolve({ data: true }); });
    child.on('error', (e) => { stderr += e.message; });
    child.on('close', (code) => {
      if (code === 0) output.end();
      else output.destroy(new Error(`upload-pack exited with ${code}: ${stderr.trim()}`));
      if (!data) resolve(code === 0 ? { data: false } : { data: false, error: stderr.trim().split('\n')[0] || String(code) });
    });
  });
  return { output, first };
}
