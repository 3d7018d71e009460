// After a response that closes the connection (a rejected GET with a body, a 413, …) the parser may already
// have read further pipelined requests from the same bytes: none of them is acted on — nothing is fetched
// or stored for a request whose answer can never be delivered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Conn { last?: ServerResponse; closed: boolean; gate?: Promise<void> }
const conns = new WeakMap<Socket, Conn>();

/** the response ends its connection: `Connection: close`, or a request that did not ask to keep it alive */
export function closesConnection(res: ServerResponse): boolean {
  if (!res.shouldKeepAlive) return true;
  const c = res.getHeader('connection');
  return typeof c === 'string' && /(?:^|,)\s*close\s*(?:,|$)/i.test(c);
}

export function hasRequestBody(req: IncomingMessage): boolean {
  return (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
}

const answered = (res: ServerResponse) => new Promise<void>((resolve) => {
  if (res.writableFinished || res.destroyed) return resolve();
  res.once('finish', resolve);
  res.once('close', resolve);
});

/**
 * Runs `admit` unless an earlier response on the same connection closes it. A request behind one that carries
 * a body waits until that one is answered, as its answer may close the connection asynchronously (413).
 * Requests without bodies (apt's pipelined GETs) are admitted at once, in parallel.
 */
export function afterEarlierResponses(req: IncomingMessage, res: ServerResponse, admit: () => void): void {
  let conn = conns.get(req.socket);
  if (!conn) conns.set(req.socket, (conn = { closed: false }));
  const c = conn;
  const earlier = c.last;
  const refused = () => c.closed || (earlier !== undefined && closesConnection(earlier));
  if (refused()) { c.closed = true; return; }
  c.last = res;
  const gate = c.gate;
  if (hasRequestBody(req)) {
    const g: Promise<void> = Promise.all([gate, answered(res)]).then(() => { if (closesConnection(res)) c.closed = true; });
    c.gate = g;
    void g.then(() => { if (c.gate === g) c.gate = undefined; });
  }
  if (!gate) return admit();
  void gate.then(() => { if (refused()) c.closed = true; else admit(); });
}

const failed = new WeakSet<Socket>();

/**
 * A parse error on a connection: `reply` once every request admitted on it has been answered (pipelined answers
 * keep their order), unless one of those answers already closes the connection. Later errors on it are ignored.
 */
export function afterAnswers(socket: Socket, reply: () => void): void {
  if (failed.has(socket)) return;
  failed.add(socket);
  const c = conns.get(socket);
  const last = c?.last;
  if (c) c.closed = true;
  if (!last) return reply();
  if (closesConnection(last)) return; // its answer ends the connection: nothing may follow it
  void answered(last).then(reply);
}
