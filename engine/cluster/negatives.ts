// "Gone" answers (upstream 404/410) shared through Redis for their negative_ttl: a node that learned a key is
// gone writes it once, and every node asks before sending a miss upstream, so the cluster asks the upstream
// about a missing key once per ttl — also for requests no node forwards (HEAD, rewritten documents). Redis
// is optional here as everywhere: unreachable or slow, nothing is shared and each node asks for itself.
import type { NegativeRecord } from '../cache/negative.js';
import type { SharedNegatives } from '../pipeline/fill-claim.js';
import type { Leases } from './leases.js';

const keyOf = (flightKey: string) => `gone:${flightKey}`;

export class RedisNegatives implements SharedNegatives {
  constructor(private redis: Pick<Leases, 'run'>) {}

  async get(flightKey: string): Promise<NegativeRecord | undefined> {
    const k = keyOf(flightKey);
    // the remaining ttl as Redis counts it: node clocks need not agree
    const r = await this.redis.run((c) => c.pipeline().get(k).pttl(k).exec());
    const [got, ttl] = [r?.[0]?.[1], r?.[1]?.[1]];
    if (typeof got !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
    try {
      const doc = JSON.parse(got) as { status: number; contentType?: string; body?: string };
      if (typeof doc.status !== 'number') return undefined;
      return { status: doc.status, contentType: doc.contentType, body: Buffer.from(doc.body ?? '', 'base64'), expiresAt: Date.now() + ttl };
    } catch {
      return undefined;
    }
  }

  put(flightKey: string, rec: NegativeRecord): void {
    const ttl = rec.expiresAt - Date.now();
    if (ttl <= 0) return;
    const doc = JSON.stringify({ status: rec.status, contentType: rec.contentType, body: rec.body.toString('base64') });
    void this.redis.run((c) => c.set(keyOf(flightKey), doc, 'PX', ttl));
  }
}
