// What an S3 store takes: the objects under its prefix in the bucket (listed, sizes as the bucket reports them)
// plus the node's local directory (walked like a filesystem backend). The local blob cache holds copies of
// bucket blobs: its bytes are counted once more, under the area local/blobs and as shared.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EntryStore } from './store.js';
import { measureBackend, type DiskUsage, type InstanceUsage } from './disk-usage.js';
import { s3Key, type S3Location } from './s3-location.js';
import { retryFor } from './s3-client.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** every object under `<prefix>/<rel>` with its key relative to that and its size */
export async function* listObjects(client: S3Client, loc: S3Location, rel: string): AsyncIterable<{ key: string; size: number }> {
  const base = s3Key(loc, rel);
  let token: string | undefined;
  do {
    const r = await retryFor(() => client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: base, ContinuationToken: token })), { forMs: 10_000 });
    for (const c of r.Contents ?? []) yield { key: (c.Key ?? '').slice(base.length), size: c.Size ?? 0 };
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
}

export interface S3UsageSource { client: S3Client; loc: S3Location; localRoot: string; entries: EntryStore }

export async function measureS3(src: S3UsageSource, blobOwner: (hex: string) => string | undefined, o: { kinds?: boolean } = {}): Promise<DiskUsage> {
  const started = performance.now();
  const areas: Record<string, number> = {};
  const instances: Record<string, InstanceUsage> = {};
  const inst = (name: string) => (instances[name] ??= { bytes: 0, blob_bytes: 0, record_bytes: 0, state_bytes: 0, mode_bytes: 0, ...(o.kinds ? { kinds: {} } : {}) });
  const add = (owner: string | undefined, field: 'blob_bytes' | 'record_bytes' | 'state_bytes' | 'mode_bytes', n: number) => {
    if (!owner) return;
    const u = inst(owner);
    u[field] += n;
    u.bytes += n;
  };
  let total = 0;
  for await (const obj of listObjects(src.client, src.loc, '')) {
    const [top, second, third] = obj.key.split('/');
    const area = `s3/${top === 'blobs' || top === 'entries' || top === 'state' ? top : 'other'}`;
    areas[area] = (areas[area] ?? 0) + obj.size;
    total += obj.size;
    if (top === 'blobs' && second === 'sha256' && third && HEX64.test(third)) add(blobOwner(third), 'blob_bytes', obj.size);
    else if (top === 'entries' && third) add(second, 'record_bytes', obj.size);
    else if (top === 'state' && third) add(second, 'state_bytes', obj.size);
  }
  // the local directory: only a mode's private directory belongs to an instance (record copies and cached
  // blobs duplicate what the bucket holds)
  const local = await measureBackend(src.localRoot, () => undefined);
  for (const [a, n] of Object.entries(local.areas)) areas[`local/${a}`] = n;
  total += local.total_bytes;
  for (const [name, u] of Object.entries(local.instances)) add(name, 'mode_bytes', u.mode_bytes);
  if (o.kinds) {
    for (const name of await src.entries.instances()) {
      const u = inst(name);
      for await (const e of src.entries.list(name)) {
        const k = (u.kinds![e.kind ?? '?'] ??= { entries: 0, bytes: 0 });
        k.entries++;
        k.bytes += e.size ?? 0;
      }
    }
  }
  const attributed = Object.values(instances).reduce((n, u) => n + u.bytes, 0);
  return { total_bytes: total, areas, instances, shared_bytes: total - attributed, measured_at: new Date().toISOString(), walk_ms: Math.round(performance.now() - started) };
}
