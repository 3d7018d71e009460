// `cache-proxy init [file]`: the configuration the built-in default would serve (every client found on this
// machine), written out to edit, each instance preceded by the setup line its clients need.
import { existsSync, writeFileSync } from 'node:fs';
import { parseDocument, isMap, isSeq } from 'yaml';
import type { ModeDefinition } from '../engine/mode.js';
import { embeddedDefaultYaml } from '../engine/config/embedded.js';

const HEADER = `cache-proxy configuration, written by \`cache-proxy init\` from the clients configured on this machine.
Check it with \`cache-proxy validate -c <file>\`, serve it with \`cache-proxy serve -c <file>\`.
Every key, its default and its meaning: README.md, "Configuration reference".`;

export async function initConfig(modes: readonly ModeDefinition[]): Promise<string> {
  const doc = parseDocument(await embeddedDefaultYaml(modes));
  doc.commentBefore = ` ${HEADER.split('\n').join('\n ')}`;
  const server = doc.get('server');
  const bind = isMap(server) ? String(server.get('bind')) : '127.0.0.1:18080';
  if (isMap(server)) {
    server.commentBefore = ' storage: server.backend (default ~/.cache/cache-proxy); cache tools: server.admin.token enables POST /-/admin/purge';
  }
  const instances = doc.get('instances');
  const byName = new Map(modes.map((d) => [d.name, d]));
  if (isSeq(instances)) {
    if (instances.items.length === 0) instances.commentBefore = ' no client configured on this machine was found: add instances (README: "A minimal configuration")';
    for (const item of instances.items) {
      if (!isMap(item)) continue;
      const name = String(item.get('name'));
      const modeName = [...byName.keys()].find((m) => item.has(m));
      const mode = modeName ? byName.get(modeName) : undefined;
      const block = (modeName ? (item.get(modeName, false) as { toJSON(): Record<string, unknown> } | undefined)?.toJSON() : undefined) ?? {};
      const url = block.bind ? `http://${String(block.bind)}` : `http://${bind}${(block.route as { path?: string } | undefined)?.path ?? ''}`;
      const setup = mode?.hooks?.snippet?.(url, block) ?? url;
      item.commentBefore = ` ${name} (${modeName ?? '?'}): client setup:\n   ${setup.split('\n').join('\n   ')}`;
    }
  }
  return doc.toString({ lineWidth: 0 });
}

export async function runInit(modes: readonly ModeDefinition[], file: string, o: { force?: boolean; stdout?: boolean }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const text = await initConfig(modes);
  if (o.stdout) { out(text); return 0; }
  if (existsSync(file) && !o.force) { err(`cache-proxy init: ${file} exists (--force overwrites it)\n`); return 1; }
  writeFileSync(file, text);
  err(`wrote ${file}: check it with \`cache-proxy validate -c ${file}\`\n`);
  return 0;
}
