// The commit thread: runs the durable part of commits (writes, fsyncs, renames) off the thread that serves
// requests; jobs that arrive together are committed as one batch.
import { parentPort } from 'node:worker_threads';
import { runBatch, type CommitJob } from './commit-batch.js';

const knownDirs = new Set<string>();
let queue: { id: number; job: CommitJob }[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  const replies = runBatch(batch.map((b) => b.job), knownDirs);
  parentPort!.postMessage(batch.map((b, i) => ({ id: b.id, reply: replies[i] })));
}

parentPort!.on('message', (m: { id: number; job: CommitJob }) => {
  queue.push(m);
  if (!scheduled) { scheduled = true; setImmediate(flush); }
});
