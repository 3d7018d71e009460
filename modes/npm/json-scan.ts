// A streaming JSON scanner: checks the structure of a document fed in chunks and reports the string
// values at chosen paths with their byte offsets, without building objects. Keys are decoded only down
// to `maxDepth`; deeper strings are skipped with indexOf, so a 30 MB packument costs one linear pass.

export interface ScanHit {
  /** object keys from the root; array elements appear as "[]" */
  path: readonly string[];
  /** byte offsets of the string token, quotes included: [start, end) */
  start: number;
  end: number;
  value: string;
}

export class JsonSyntaxError extends Error {}

const enum S { Value, AfterValue, Key, Colon, String, Literal, Done }

const QUOTE = 0x22, BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;
const MAX_LITERAL = 1024;

interface Frame { array: boolean; key: string; first: boolean }

export class JsonScanner {
  private state = S.Value;
  private stack: Frame[] = [];
  private pos = 0; // offset of the next byte of the stream
  // current string token
  private strIsKey = false;
  private strCapture = false;
  private strStart = 0;
  private strParts: Buffer[] = [];
  private strEscape = false;
  // current literal token
  private lit = '';
  private rootSeen = false;

  constructor(
    private readonly want: (path: readonly string[]) => boolean,
    private readonly onHit: (hit: ScanHit) => void,
    private readonly o: { maxDepth?: number; rootObject?: boolean } = {},
  ) {}

  private get maxDepth(): number { return this.o.maxDepth ?? 4; }

  private fail(msg: string): never {
    throw new JsonSyntaxError(`invalid JSON at byte ${this.pos}: ${msg}`);
  }

  private path(): string[] {
    return this.stack.map((f) => f.key);
  }

  write(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    const base = this.pos;
    while (i < n) {
      if (this.state === S.String) {
        i = this.inString(chunk, i, base);
        continue;
      }
      const c = chunk[i]!;
      this.pos = base + i;
      if (this.state === S.Literal) {
        if (c === 0x2c || c === 0x5d || c === 0x7d || isSpace(c)) {
          this.endLiteral();
          continue; // re-read the delimiter in AfterValue
        }
        this.lit += String.fromCharCode(c);
        if (this.lit.length > MAX_LITERAL) this.fail('number or literal too long');
        i++;
        continue;
      }
      if (isSpace(c)) { i++; continue; }
      switch (this.state) {
        case S.Value: {
          const top = this.stack[this.stack.length - 1];
          if (c === 0x5d && top?.array && top.first) { this.close(true); i++; break; }
          this.startValue(c, base + i);
          i++;
          break;
        }
        case S.AfterValue: {
          const top = this.stack[this.stack.length - 1];
          if (!top) this.fail('content after the document');
          if (c === 0x2c) { top.first = false; this.state = top.array ? S.Value : S.Key; }
          else if (c === 0x5d && top.array) this.close(true);
          else if (c === 0x7d && !top.array) this.close(false);
          else this.fail(`unexpected "${String.fromCharCode(c)}"`);
          i++;
          break;
        }
        case S.Key: {
          const top = this.stack[this.stack.length - 1]!;
          if (c === 0x7d && top.first) { this.close(false); i++; break; }
          if (c !== QUOTE) this.fail('expected a key');
          this.beginString(true, this.stack.length <= this.maxDepth, base + i);
          i++;
          break;
        }
        case S.Colon:
          if (c !== 0x3a) this.fail('expected ":"');
          this.state = S.Value;
          i++;
          break;
        case S.Done:
          this.fail('content after the document');
      }
    }
    this.pos = base + n;
  }

  /** the stream ended: the document must be complete */
  end(): void {
    if (this.state === S.Literal) this.endLiteral();
    if (this.state !== S.Done) this.fail(this.rootSeen ? 'document ends early' : 'empty document');
  }

  private startValue(c: number, at: number): void {
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (this.o.rootObject && c !== 0x7b) this.fail('the document is not a JSON object');
    }
    if (c === 0x7b) { this.stack.push({ array: false, key: '', first: true }); this.state = S.Key; return; }
    if (c === 0x5b) { this.stack.push({ array: true, key: '[]', first: true }); this.state = S.Value; return; }
    if (c === QUOTE) {
      const capture = this.stack.length <= this.maxDepth && this.want(this.path());
      this.beginString(false, capture, at);
      return;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.lit = String.fromCharCode(c);
      this.state = S.Literal;
      return;
    }
    this.fail(`unexpected "${String.fromCharCode(c)}"`);
  }

  private endLiteral(): void {
    if (!LITERAL.test(this.lit)) this.fail(`bad literal "${this.lit.slice(0, 32)}"`);
    this.lit = '';
    this.valueDone();
  }

  private valueDone(): void {
    this.state = this.stack.length === 0 ? S.Done : S.AfterValue;
  }

  private close(array: boolean): void {
    const f = this.stack.pop();
    if (!f || f.array !== array) this.fail('mismatched bracket');
    this.valueDone();
  }

  private beginString(isKey: boolean, capture: boolean, at: number): void {
    this.state = S.String;
    this.strIsKey = isKey;
    this.strCapture = capture;
    this.strStart = at;
    this.strParts = capture ? [Buffer.from('"')] : [];
    this.strEscape = false;
  }

  /** consume string bytes from i; returns the next index */
  private inString(chunk: Buffer, i: number, base: number): number {
    const n = chunk.length;
    let j = i;
    if (this.strEscape) { this.strEscape = false; j++; }
    for (;;) {
      if (j >= n) { if (this.strCapture && j > i) this.strParts.push(chunk.subarray(i, n)); return n; }
      const q = chunk.indexOf(QUOTE, j);
      const b = chunk.indexOf(BACKSLASH, j);
      if (b >= 0 && (q < 0 || b < q)) {
        if (b + 1 >= n) { this.strEscape = true; if (this.strCapture) this.strParts.push(chunk.subarray(i, n)); return n; }
        j = b + 2;
        continue;
      }
      if (q < 0) { if (this.strCapture) this.strParts.push(chunk.subarray(i, n)); return n; }
      const endAbs = base + q + 1;
      if (this.strCapture) {
        this.strParts.push(chunk.subarray(i, q + 1));
        this.finishString(Buffer.concat(this.strParts), endAbs);
      } else this.afterString(undefined, endAbs);
      return q + 1;
    }
  }

  private finishString(raw: Buffer, endAbs: number): void {
    let value: string;
    try { value = JSON.parse(raw.toString('utf8')) as string; } catch { this.pos = endAbs; this.fail('bad string'); }
    this.strParts = [];
    if (!this.strIsKey) this.onHit({ path: this.path(), start: this.strStart, end: endAbs, value });
    this.afterString(value, endAbs);
  }

  private afterString(value: string | undefined, endAbs: number): void {
    this.pos = endAbs;
    if (this.strIsKey) {
      this.stack[this.stack.length - 1]!.key = value ?? '\u0000';
      this.state = S.Colon;
    } else this.valueDone();
  }
}

/** scan a whole buffer in slices, yielding to the event loop between them */
export async function scanBuffer(body: Buffer, scanner: JsonScanner, slice = 1024 * 1024): Promise<void> {
  for (let off = 0; off < body.length; off += slice) {
    scanner.write(body.subarray(off, Math.min(body.length, off + slice)));
    if (off + slice < body.length) await new Promise((r) => setImmediate(r));
  }
  scanner.end();
}
