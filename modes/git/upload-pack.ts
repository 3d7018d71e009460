// Serving one snapshot with git's own upload-pack in stateless-RPC mode, as `git http-backend` does: the
// advertisement (v0/v1 with the `# service=` preamble, v2 without) and the POSTed exchanges (negotiation
// and pack, or v2 ls-refs/fetch), streamed.
import { PassThrough } from 'node:stream';
import type { RespondOutput } from '../../engine/mode.js';
import { spawnGit } from './git-process.js';
import { pktLine, uniqueRefLines } from './pkt-line.js';

export interface ServeTarget { dir: string; namespace: string; protocol: string | undefined; agent: string }

const FLUSH = '0000';

/** the client's Git-Protocol header as GIT_PROTOCOL (colon-separated key=value), v2 left out when disabled */
export function gitProtocol(header: string | undefined, v2: boolean): string | undefined {
  if (!header || !/^[A-Za-z0-9=:._-]{1,256}$/.test(header)) return undefined;
  const kept = header.split(':').filter((p) => v2 || p !== 'version=2');
  return kept.length ? kept.join(':') : undefined;
}

export const isV2 = (protocol: string | undefined) => !!protocol?.split(':').includes('version=2');

export function advertise(t: ServeTarget): Promise<RespondOutput> {
  const preamble = isV2(t.protocol) ? undefined : Buffer.from(pktLine('# service=git-upload-pack\n') + FLUSH);
  return run(t, ['--advertise-refs'], undefined, preamble, 'application/x-git-upload-pack-advertisement');
}

export async function exchange(t: ServeTarget, body: Buffer, command: string | undefined): Promise<RespondOutput> {
  const out = await run(t, [], body, undefined, 'application/x-git-upload-pack-result');
  if (command !== 'ls-refs' || out.status !== 200 || !(out.body instanceof PassThrough)) return out;
  // a ref list (one short line per ref): read whole to list each ref once
  const parts: Buffer[] = [];
  for await (const c of out.body as AsyncIterable<Buffer>) parts.push(c);
  return { ...out, body: uniqueRefLines(Buffer.concat(parts)) };
}

/** upload-pack started; answered once it wrote its first bytes (200, streamed) or ended without any (500) */
function run(t: ServeTarget, args: string[], input: Buffer | undefined, preamble: Buffer | undefined, type: string): Promise<RespondOutput> {
  const env: Record<string, string> = { GIT_NAMESPACE: t.namespace, GIT_USER_AGENT: t.agent };
  if (t.protocol) env.GIT_PROTOCOL = t.protocol;
  const child = spawnGit(['upload-pack', '--stateless-rpc', ...args, t.dir], { env });
  const out = new PassThrough();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 8192) stderr += d; });
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(input ?? Buffer.alloc(0));
  out.once('close', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return new Promise((resolve) => {
    let answered = false;
    const headers = { 'content-type': type, 'cache-control': 'no-cache', 'x-cache': 'MIRROR' };
    child.stdout!.once('data', (first: Buffer) => {
      answered = true;
      if (preamble) out.write(preamble);
      out.write(first);
      child.stdout!.pipe(out);
      resolve({ status: 200, headers, body: out });
    });
    child.on('close', (code) => {
      if (answered) { if (code !== 0) out.destroy(new Error(`upload-pack exited with ${code}: ${stderr.trim()}`)); return; }
      answered = true;
      if (code === 0) { resolve({ status: 200, headers, body: preamble ?? Buffer.alloc(0) }); return; }
      resolve({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `upload-pack failed: ${stderr.trim().split('\n')[0] ?? code}\n` });
    });
  });
}
