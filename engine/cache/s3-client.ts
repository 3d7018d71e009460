// The S3 client of an s3:// backend and the two ways its calls are bounded: a short deadline for the calls a
// request waits on, and a bounded retry with backoff for writes that must land eventually (a commit).
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../config/types.js';

export function s3Client(s: Omit<S3Settings, 'local_dir' | 'local_cache_size'>): S3Client {
  // the pinned SDK supports Node 20; its start-up warning is about later SDK versions
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.force_path_style,
    ...(s.access_key_id && s.secret_access_key ? { credentials: { accessKeyId: s.access_key_id, secretAccessKey: s.secret_access_key } } : {}),
    // S3-compatible servers do not all know the SDK's default CRC checksums
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    // a hung server (paused, partitioned) must not hold a request forever: idle sockets time out
    requestHandler: { connectionTimeout: 3000, socketTimeout: 15_000 },
  });
}

/** an abort signal for a call a client request waits on */
export const quickly = (ms = 5000): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(ms) });

export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

export interface RetryOptions {
  /** give up after this long (the last error is thrown) */
  forMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: Error, attempt: number, delayMs: number) => void;
}

/** run `fn` until it succeeds or `forMs` has passed, waiting first 500 ms, doubling up to 8 s between attempts */
export async function retryFor<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const deadline = Date.now() + o.forMs;
  let delay = o.firstDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (Date.now() + delay > deadline) throw e;
      o.onRetry?.(e as Error, attempt, delay);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, o.maxDelayMs ?? 8000);
    }
  }
}
