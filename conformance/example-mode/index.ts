// Mode `checked`: the example mode of docs/writing-a-mode.md. An upstream publishes, per package, an index
// document listing the SHA-256 of each of its files; a file is stored only when its bytes hash to what the
// index lists (pinned verification). conformance/example-mode.test.ts runs it as a plugin.
import { defineMode, type IndexHook, type ModeConfig, type PinnedBy } from '../../engine/mode.js';
import { readModeSchema } from '../../engine/config/mode-schema.js';

/** `<package>/index.json`: `{ "files": { "<file>": { "sha256": "<hex>" } } }` → one pin per file, grouped by package */
export const indexFiles: IndexHook = async ({ body, match }) => {
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) parts.push(chunk);
  const doc = JSON.parse(Buffer.concat(parts).toString('utf8')) as { files?: Record<string, { sha256?: unknown }> };
  if (typeof doc.files !== 'object' || doc.files === null) throw new Error(`index of ${match.params.pkg} lists no files`);
  const entries: Record<string, { sha256: string }> = {};
  for (const [file, facts] of Object.entries(doc.files)) {
    if (typeof facts.sha256 === 'string' && /^[0-9a-f]{64}$/.test(facts.sha256)) entries[file] = { sha256: facts.sha256 };
  }
  return { pins: [{ group: match.params.pkg!, entries }] };
};

/** a file's expected digest is the pin its package's index recorded; the engine fetches the index when the pin is missing */
export const filePins: PinnedBy = {
  pin: (m) => ({ group: m.params.pkg!, key: m.params.file! }),
  source: (m) => ({ path: `${m.params.pkg}/index.json` }),
  expected: (pin, m) => (pin.sha256 ? { sha256: pin.sha256, source: `${m.params.pkg}/index.json` } : null),
};

export default defineMode({
  name: 'checked',
  contract: 1,
  schema: readModeSchema(import.meta.url), // schema.json beside this file
  mount: 'route',
  kinds: {
    index: { policy: 'revalidate', fresh_for: '5m', busy: 'stale', body: { maxBytes: '1MiB', index: indexFiles } },
    file: { policy: 'immutable', busy: 'join', body: { pinnedBy: filePins } },
  },
  routes: [
    { match: { pattern: ':pkg/index.json' }, kind: 'index' },
    { match: { pattern: ':pkg/files/:file' }, kind: 'file' },
  ],
  upstreams: (c: ModeConfig) => [String(c.upstream).replace(/\/+$/, '')],
});
