// Everything a test starts is registered here and torn down by cleanupAll (and at process exit).
const tasks: (() => Promise<void> | void)[] = [];
const sync: (() => void)[] = [];

export function track(fn: () => Promise<void> | void, onExit?: () => void): void {
  tasks.push(fn);
  if (onExit) sync.push(onExit);
}

export async function cleanupAll(): Promise<void> {
  while (tasks.length) {
    const t = tasks.pop()!;
    try { await t(); } catch { /* best effort */ }
  }
}

process.on('exit', () => { for (const f of sync) { try { f(); } catch { /* ignore */ } } });
