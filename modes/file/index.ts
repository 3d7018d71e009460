// Mode `file`: a generic HTTP file cache over an ordered list of upstream base URLs.
import { defineMode, credentialsFromAuth, type ModeConfig } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';
import { checksumFor } from './checksum.js';

const IGNORED_PASS_HEADERS = /^(cookie|forwarded|range|if-.*)$/i;

export default defineMode({
  name: 'file',
  contract: 1,
  schema: readModeSchema(import.meta.url),
  mount: 'route',
  kinds: {
    file: { policy: 'bypass', busy: 'bypass', body: { verify: checksumFor } },
  },
  aliases: { default_policy: 'file_policy', fresh_for: 'file_fresh_for', busy_policy: 'file_busy_policy' },
  rules: {
    subject: 'path',
    combine: 'cumulative',
    fields: {
      checksum: { type: 'string', pattern: '^(sidecar:.+|sums:[^/]+)$' },
      checksum_required: { type: 'boolean' },
    },
  },
  routes: [
    { match: { regex: /^$/ }, status: 404, message: 'no file named' },
    { match: { glob: '**' }, kind: 'file', query: (c) => (c.keep_query === true ? 'forward+key' : 'drop') },
  ],
  upstreams: (c: ModeConfig) => [...new Set((c.upstreams as string[]).map((u) => u.replace(/\/+$/, '')))],
  passHeaders: (c: ModeConfig) => ({
    names: ((c.pass_headers as string[] | undefined) ?? []).filter((h) => !IGNORED_PASS_HEADERS.test(h)),
    keyed: c.vary_pass_headers === true,
  }),
  credentials: credentialsFromAuth,
  hooks: {
    snippet: (url) => `curl -O ${url}/<path>`,
  },
});
