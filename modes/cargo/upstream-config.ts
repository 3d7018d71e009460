// The upstream's config.json: checked before it is stored, its `dl` and `api` recorded as a pin (so every fill
// reads the stored copy, and a stale one while the upstream is down), and rewritten on the way out so that
// cargo downloads and searches through the proxy.
import type { HookContext, IndexInput, IndexResult, RewriteInput } from '../../engine/mode.js';
import { settings } from './settings.js';

/** the pin group and key of the upstream's config (no crate name contains a '.') */
export const CONFIG_GROUP = 'config.json';
const CONFIG_KEY = 'upstream';

export interface UpstreamConfig { dl: string; /** '' = the upstream has no api */ api: string }

async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

function parseConfig(raw: Buffer): Record<string, unknown> {
  let doc: unknown;
  try { doc = JSON.parse(raw.toString('utf8')); } catch { throw new Error('upstream config.json is not JSON; nothing was cached'); }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('upstream config.json is not a JSON object; nothing was cached');
  if (typeof (doc as Record<string, unknown>).dl !== 'string') throw new Error('upstream config.json has no string "dl"; nothing was cached');
  return doc as Record<string, unknown>;
}

const originOf = (template: string): string | undefined => {
  try { return new URL(template.replace(/\{[^}]*\}/g, 'x')).origin; } catch { return undefined; }
};

/** index stage of config.json: valid or refused, `dl`/`api` pinned, their origins learned as fetch targets */
export async function indexConfig({ body, ctx }: IndexInput): Promise<IndexResult> {
  const doc = parseConfig(await readAll(body as AsyncIterable<Buffer>));
  const dl = doc.dl as string;
  const api = typeof doc.api === 'string' ? doc.api.replace(/\/+$/, '') : '';
  const targets: string[] = [];
  // with download_template its origin is the only download origin: the upstream's dl vouches for nothing
  const dlOrigin = settings.of(ctx).downloadTemplate ? undefined : originOf(dl);
  if (dlOrigin) targets.push(`${dlOrigin}/`);
  const apiOrigin = api ? originOf(api) : undefined;
  if (apiOrigin) targets.push(`${apiOrigin}/`);
  return { pins: [{ group: CONFIG_GROUP, entries: { [CONFIG_KEY]: { dl, api } } }], targets };
}

/** the stored upstream config, fetched through the pipeline when none is stored yet */
export async function upstreamConfig(ctx: HookContext): Promise<UpstreamConfig | undefined> {
  const read = async () => (await ctx.pins.get(CONFIG_GROUP))?.[CONFIG_KEY] as UpstreamConfig | undefined;
  const stored = await read();
  if (stored) return stored;
  await ctx.fetchThrough('config.json');
  return read();
}

/** config.json as cargo gets it: every key kept; downloads and the api through the proxy; auth as configured */
export async function rewriteConfig({ body, publicBase, ctx }: RewriteInput): Promise<{ body: Buffer; headers: Record<string, string> }> {
  const doc = parseConfig(body);
  const out: Record<string, unknown> = { ...doc, dl: `${publicBase}/api/v1/crates/{crate}/{version}/download` };
  if ('api' in doc) out.api = publicBase;
  if (settings.of(ctx).authRequired) out['auth-required'] = true;
  else delete out['auth-required'];
  return { body: Buffer.from(`${JSON.stringify(out)}\n`), headers: { 'content-type': 'application/json' } };
}
