// A minimal SOCKS5 server on 127.0.0.1 for transport tests (RFC 1928: no authentication, CONNECT to an IPv4
// address or a domain name), counting the tunnels it opened and their targets.
import { createServer, connect, type Socket } from 'node:net';
import { track } from './cleanup.js';

export interface Socks5Server { url: string; tunnels: string[]; close(): Promise<void> }

export async function startSocks5(): Promise<Socks5Server> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    client.once('data', (hello) => {
      if (hello[0] !== 5) { client.destroy(); return; }
      client.write(Buffer.from([5, 0])); // version 5, no authentication
      client.once('data', (req) => {
        const type = req[3];
        let host: string, at: number;
        if (type === 1) { host = [...req.subarray(4, 8)].join('.'); at = 8; }
        else if (type === 3) { const n = req[4]!; host = req.subarray(5, 5 + n).toString(); at = 5 + n; }
        else { client.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0])); return; }
        const port = req.readUInt16BE(at);
        tunnels.push(`${host}:${port}`);
        const upstream = connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
        upstream.on('error', () => { client.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])); });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const close = () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  track(close, () => server.close());
  return { url: `socks5://127.0.0.1:${port}`, tunnels, close };
}
