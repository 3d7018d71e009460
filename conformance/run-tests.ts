// The runner behind `npm test`: every *.test.js under dist/ in its own process, two at a time,
// ending with one line `N passed, N failed[, N skipped]`.
// TEST_EXTRA_NODES (comma-separated node binaries) runs files again under other runtimes, counted in
// the same line: the unit tests and the engine, upstream-close and supervisor conformance files, or
// every file with TEST_EXTRA_SCOPE=all. TEST_KNOWN_FAILING ("<node major>:<path substring>,…") reports
// those files as skipped on that runtime instead of running them, so they show in the summary line.
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../engine/paths.js';

const args = process.argv.slice(2);
const live = args.includes('--live');
const filters = args.filter((a) => !a.startsWith('--'));
const TIMEOUT_MS = 600_000;
const PARALLEL = Number(process.env.TEST_PARALLEL ?? 2);

function find(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const dist = join(packageRoot, 'dist');
// the heaviest files (conformance: real clients and servers) first, so the two slots stay busy to the end
const weight = (f: string) => (relative(dist, f).startsWith('conformance/') ? 0 : 1);
const files = find(dist)
  .filter((f) => (live ? f.endsWith('.live.test.js') : !f.endsWith('.live.test.js')))
  .filter((f) => filters.length === 0 || filters.some((x) => relative(dist, f).includes(x)))
  .sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));

const extraNodes = (process.env.TEST_EXTRA_NODES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const extraScope = (f: string) => {
  const r = relative(dist, f);
  return process.env.TEST_EXTRA_SCOPE === 'all' || !r.startsWith('conformance/') || /^conformance\/(engine-|upstream-close|supervisor)/.test(r);
};
interface Job { file: string; node: string; label: string; skip?: boolean }
const knownFailing = (process.env.TEST_KNOWN_FAILING ?? '').split(',').map((s) => s.trim().split(':')).filter((x) => x.length === 2) as [string, string][];
const versionOf = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const jobs: Job[] = [
  ...files.map((file) => ({ file, node: process.execPath, label: '' })),
  ...extraNodes.flatMap((node) => {
    const v = versionOf(node);
    const major = v.replace(/^v/, '').split('.')[0];
    return files.filter(extraScope).map((file) => ({ file, node, label: ` [node ${v}]`, skip: knownFailing.some(([m, s]) => m === major && relative(dist, file).includes(s)) }));
  }),
];

let passed = 0, failed = 0, skipped = 0;
const failedFiles: string[] = [];

function runOne({ file, node, label, skip }: Job): Promise<void> {
  return new Promise((resolve) => {
    const name = relative(dist, file) + label;
    if (skip) { skipped++; process.stdout.write(`↷ ${name} — skipped: known failure on this runtime (TEST_KNOWN_FAILING)\n`); resolve(); return; }
    const t0 = Date.now();
    const child = spawn(node, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n[runner] timeout after ${TIMEOUT_MS / 1000} s\n`; child.kill('SIGKILL'); }, TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(/Total:\s+(\d+)/.exec(clean)?.[1] ?? NaN);
      const pass = Number(/Passed:\s+(\d+)/.exec(clean)?.[1] ?? NaN);
      const skip = Number(/Skipped:\s+(\d+)/.exec(clean)?.[1] ?? 0);
      let f = 0;
      if (Number.isNaN(total) || Number.isNaN(pass)) f = 1;
      else { passed += pass; skipped += skip; f = total - pass; } // uvu's Total leaves out skipped tests
      if (code !== 0 && f === 0) f = 1;
      failed += f;
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      if (f > 0) {
        failedFiles.push(name);
        process.stdout.write(`\n✘ ${name} (${secs} s)\n${clean.split('\n').map((l) => `  | ${l}`).join('\n')}\n`);
      } else {
        const notes = clean.split('\n').filter((l) => /^\S.*:/.test(l) && !/^(Total|Passed|Skipped|Duration)/.test(l.trim())).slice(0, 20);
        process.stdout.write(`✔ ${name} — ${pass} passed (${secs} s)\n${notes.map((l) => `    ${l}\n`).join('')}`);
      }
      resolve();
    });
  });
}

// timing-sensitive files (throughput ratios against a lone transfer) run alone, before everything else
const alone = jobs.filter((j) => /storm|engine-fill/.test(relative(dist, j.file)));
for (const j of alone) await runOne(j);
const queue = jobs.filter((j) => !alone.includes(j));
await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, async () => { while (queue.length) await runOne(queue.shift()!); }));
if (failedFiles.length) process.stdout.write(`\nfailed files: ${failedFiles.join(', ')}\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
