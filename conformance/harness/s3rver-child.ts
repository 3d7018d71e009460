// Runs s3rver (an S3-compatible server) in a process of its own so a test can SIGSTOP/SIGCONT it.
// argv: <data directory> <bucket>…; prints {"port":N} on stdout once it listens on 127.0.0.1.
import { createRequire } from 'node:module';

interface S3rverServer { run(): Promise<{ port: number }>; close(): Promise<void> }
type S3rverCtor = new (o: Record<string, unknown>) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor; // ships no type declarations

const [dir, ...buckets] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => { void server.close().finally(() => process.exit(0)); });
