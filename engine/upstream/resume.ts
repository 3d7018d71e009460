// Resuming an interrupted upstream body: a 200 with a strong ETag, `Accept-Ranges: bytes` and a
// Content-Length that breaks mid-body is continued with `Range: bytes=<n>-` + `If-Range: <etag>`. Only a 206 carrying
// exactly the missing bytes of the same entity is accepted, so the reader sees one continuous body and verifies the
// whole as usual; anything else fails the body as if there had been no resume.

export const MAX_RESUMES = 3;

/** what a continuation must match */
export interface ResumeTarget { etag: string; length: number }

/** a body that can be iterated and torn down (undici's response body) */
export interface UpstreamBody extends AsyncIterable<Buffer> { destroy(err?: Error): unknown }

export interface Continuation { status: number; headers: Record<string, string>; body: UpstreamBody }

/**
 * The target a body may be resumed against, or null: only a plain GET (no Range/If-Range of its own) answered
 * 200 with a strong ETag, `Accept-Ranges: bytes` and a Content-Length.
 */
export function resumeTarget(method: string, requestHeaders: Record<string, string> | undefined, status: number, headers: Record<string, string>): ResumeTarget | null {
  if (method !== 'GET' || status !== 200) return null;
  if (Object.keys(requestHeaders ?? {}).some((k) => /^(range|if-range)$/i.test(k))) return null;
  const etag = headers.etag?.trim();
  if (!etag || !/^"[^"]*"$/.test(etag)) return null; // absent or weak (W/"…")
  if (!(headers['accept-ranges'] ?? '').split(',').some((u) => u.trim().toLowerCase() === 'bytes')) return null;
  const cl = headers['content-length'];
  if (!cl || !/^\d+$/.test(cl.trim()) || Number(cl) <= 0) return null;
  return { etag, length: Number(cl) };
}

/** why a continuation does not continue the interrupted body, or null when it does */
export function continuationMismatch(c: Pick<Continuation, 'status' | 'headers'>, offset: number, target: ResumeTarget): string | null {
  if (c.status !== 206) return c.status === 200 ? 'the entity changed (200 to If-Range)' : `status ${c.status} to the range request`;
  const want = `bytes ${offset}-${target.length - 1}/${target.length}`;
  const got = c.headers['content-range']?.trim();
  if (got !== want) return `Content-Range ${got ?? '(none)'} instead of ${want}`;
  if (c.headers.etag?.trim() !== target.etag) return `ETag ${c.headers.etag ?? '(none)'} instead of ${target.etag}`;
  return null;
}

export class ResumeRefused extends Error {
  constructor(reason: string, public interrupted: unknown) {
    super(`upstream body could not be resumed (${reason}) after: ${(interrupted as Error)?.message ?? String(interrupted)}`);
  }
}

export interface ResumeOptions {
  /** null: never resume (the body is passed through as is) */
  target: ResumeTarget | null;
  /** sends the range request for the bytes from offset on */
  refetch(offset: number, target: ResumeTarget): Promise<Continuation>;
  /** false for an interruption we caused (our own abort or deadline): never resumed */
  mayResume(err: unknown): boolean;
  onResume?(offset: number, attempt: number, err: unknown): void;
  onRefused?(offset: number, reason: string): void;
  max?: number;
}

/** one continuous body over the first response and its continuations */
export class ResumingBody implements AsyncIterable<Buffer> {
  resumes = 0;
  private stopped = false;
  constructor(private current: UpstreamBody, private o: ResumeOptions) {}

  /** the reader has gone: tear down whichever response is being read; no resume after this */
  destroy(): void {
    this.stopped = true;
    // a response torn down unread (a refused head) reports its abort as an error nobody listens for
    (this.current as Partial<Pick<NodeJS.EventEmitter, 'on'>>).on?.('error', () => undefined);
    this.current.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const target = this.o.target;
    let offset = 0;
    for (;;) {
      try {
        for await (const chunk of this.current) {
          offset += chunk.length;
          yield chunk;
        }
        return;
      } catch (err) {
        if (!target || this.stopped || offset >= target.length || this.resumes >= (this.o.max ?? MAX_RESUMES) || !this.o.mayResume(err)) throw err;
        this.resumes++;
        this.o.onResume?.(offset, this.resumes, err);
        const next = await this.o.refetch(offset, target);
        const why = this.stopped ? 'the reader left' : continuationMismatch(next, offset, target);
        if (why) {
          next.body.destroy();
          this.o.onRefused?.(offset, why);
          throw new ResumeRefused(why, err);
        }
        this.current = next.body;
      }
    }
  }
}
