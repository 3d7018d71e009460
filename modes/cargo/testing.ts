// Shared pieces of this mode's unit tests: a hook context with an in-memory pin store and parsed settings.
import { Readable } from 'node:stream';
import { stubHookContext } from '../../engine/mode-testing.js';
import type { HookContext, Match, ModeConfig, Pin } from '../../engine/mode.js';
import { settings } from './settings.js';

export function cargoContext(block: ModeConfig = {}, over: Partial<HookContext> = {}) {
  const groups = new Map<string, Record<string, Pin>>();
  const fetched: string[] = [];
  const config = { upstream: 'sparse+http://index.example/', ...block };
  const ctx = stubHookContext({
    config, settings: settings.parse(config),
    pins: { get: async (g: string) => groups.get(g) ?? null, merge: async (g: string, p: Record<string, Pin>) => { groups.set(g, { ...groups.get(g), ...p }); } },
    fetchThrough: async (path: string) => { fetched.push(path); return null; },
    ...over,
  });
  return { ctx, groups, fetched };
}

export const matchOf = (path: string, params: Record<string, string> = {}): Match =>
  ({ method: 'GET', path, headers: {}, query: new URLSearchParams(), params, segments: path.split('/'), trailingSlash: false, config: {} });

export const bodyOf = (s: string) => Readable.from([Buffer.from(s)]);
