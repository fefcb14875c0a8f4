import { MAX_DECLARED_CONTENT_LENGTH, MAX_FRAME_HEADERS, MAX_FRAME_HEADER_BYTES } from './esl-limits.ts';

/**
 * One frame of the Event Socket protocol (FreeSWITCH mod_event_socket): a block of `Name: value`
 * lines ended by an empty line, then exactly Content-Length bytes of body when that header is
 * present. `auth/request`, `command/reply` and `text/disconnect-notice` frames usually have no
 * body; `api/response`, `text/event-json` and `text/event-plain` have one.
 */
export interface EslFrame {
  /** Header names as sent; look them up with `frameHeader` (case-insensitive). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly contentType: string;
  readonly body: Buffer | undefined;
}

/** A frame whose body exceeded the parser's `maxBodyBytes`: its bytes were skipped, not kept. */
export interface EslSkippedFrame {
  readonly contentType: string;
  readonly bodyBytes: number;
}

export type EslFrameErrorCode =
  | 'FEATURE_ESL_HEADER_TOO_LARGE'
  | 'FEATURE_ESL_BAD_HEADER'
  | 'FEATURE_ESL_BAD_CONTENT_LENGTH'
  | 'FEATURE_ESL_BODY_TOO_LARGE';

export interface EslFrameError {
  readonly code: EslFrameErrorCode;
  readonly message: string;
}

export type EslParserOutput =
  | { readonly kind: 'frame'; readonly frame: EslFrame }
  | { readonly kind: 'skipped'; readonly skipped: EslSkippedFrame };

export function frameHeader(frame: { readonly headers: ReadonlyArray<readonly [string, string]> }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of frame.headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * An incremental, sans-I/O parser of the Event Socket byte stream. `push` takes whatever a TCP
 * read returned (a frame may be split over many reads, many frames may arrive in one) and returns
 * the frames it completed. Everything is bounded: the header block (MAX_FRAME_HEADER_BYTES), the
 * number of header lines, the declared Content-Length (mod_event_socket's own 16 MiB) and the body
 * kept (`maxBodyBytes`; larger bodies are skipped as they stream past and reported as `skipped`).
 * Hostile input gives a typed error; after an error the parser refuses further input (the caller
 * closes the connection: there is no way to find the next frame boundary again).
 * Lines end in LF as FreeSWITCH writes them; a CR before the LF is tolerated.
 */
export class EslFrameParser {
  /** Bytes of an incomplete header block: `headLen` of `headBuf`, which grows by doubling (one-byte reads stay linear). */
  private headBuf: Buffer = Buffer.alloc(0);
  private headLen = 0;
  /** Where the search for the end of the header block resumes (bytes already scanned). */
  private scanned = 0;
  private pendingHeaders: Array<readonly [string, string]> | undefined;
  private pendingType = '';
  private bodyChunks: Buffer[] = [];
  private bodyLeft = 0;
  private bodyTotal = 0;
  private skipping = false;
  private failed: EslFrameError | undefined;

  constructor(private readonly maxBodyBytes: number) {}

  /** Bytes held for an incomplete frame (for tests and statistics). */
  get bufferedBytes(): number {
    return this.headLen + this.bodyChunks.reduce((n, c) => n + c.length, 0);
  }

  push(chunk: Buffer): { readonly out: EslParserOutput[]; readonly error?: EslFrameError } {
    const out: EslParserOutput[] = [];
    if (this.failed !== undefined) return { out, error: this.failed };
    let data = chunk;
    while (data.length > 0) {
      if (this.pendingHeaders !== undefined) {
        data = this.takeBody(data, out);
        continue;
      }
      // Header state: take bytes up to the header limit (plus the terminator's 3), then look for
      // the empty line from where the last search stopped.
      const room = MAX_FRAME_HEADER_BYTES + 3 - this.headLen;
      // Up to the first empty line when there is one: what follows it (the body, the next frames)
      // is not copied in and back out for every frame (a read of many small frames was quadratic).
      const cut = afterBlankLine(data, room);
      const take = data.subarray(0, Math.min(room, cut < 0 ? data.length : cut));
      data = data.subarray(take.length);
      this.append(take);
      const end = this.findHeaderEnd();
      if (end === undefined) {
        if (this.headLen > MAX_FRAME_HEADER_BYTES) return this.fail(out, 'FEATURE_ESL_HEADER_TOO_LARGE', `header block exceeds ${MAX_FRAME_HEADER_BYTES} bytes without an empty line`);
        continue;
      }
      if (end.blockEnd > MAX_FRAME_HEADER_BYTES) return this.fail(out, 'FEATURE_ESL_HEADER_TOO_LARGE', `header block of ${end.blockEnd} bytes exceeds ${MAX_FRAME_HEADER_BYTES}`);
      const block = Buffer.from(this.headBuf.subarray(0, end.blockEnd));
      // Bytes after the empty line belong to the body or the next frame: put them back in front.
      const rest = Buffer.from(this.headBuf.subarray(end.next, this.headLen));
      this.headLen = 0;
      this.scanned = 0;
      const err = this.startFrame(block, out);
      if (err !== undefined) return this.fail(out, err.code, err.message);
      data = rest.length === 0 ? data : data.length === 0 ? rest : Buffer.concat([rest, data]);
    }
    return { out };
  }

  private append(bytes: Buffer): void {
    const need = this.headLen + bytes.length;
    if (need > this.headBuf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * this.headBuf.length, MAX_FRAME_HEADER_BYTES + 3), 256));
      this.headBuf.copy(grown, 0, 0, this.headLen);
      this.headBuf = grown;
    }
    bytes.copy(this.headBuf, this.headLen);
    this.headLen = need;
  }

  private fail(out: EslParserOutput[], code: EslFrameErrorCode, message: string): { out: EslParserOutput[]; error: EslFrameError } {
    this.failed = { code, message };
    this.headBuf = Buffer.alloc(0);
    this.headLen = 0;
    this.bodyChunks = [];
    return { out, error: this.failed };
  }

  /**
   * The end of the header block: the first LF that follows another LF (optionally with a CR in
   * between). Empty lines before a frame are skipped, as FreeSWITCH's own reader does.
   */
  private findHeaderEnd(): { blockEnd: number; next: number } | undefined {
    const h = this.headBuf;
    const len = this.headLen;
    let start = 0;
    while (start < len && (h[start] === LF || (h[start] === CR && start + 1 < len && h[start + 1] === LF))) start += h[start] === LF ? 1 : 2;
    if (start > 0) {
      h.copy(h, 0, start, len);
      this.headLen = len - start;
      this.scanned = 0;
      return this.findHeaderEnd();
    }
    for (let i = Math.max(1, this.scanned); i < len; i++) {
      if (h[i] !== LF) continue;
      if (h[i - 1] === LF) return { blockEnd: i - 1, next: i + 1 };
      if (h[i - 1] === CR && i >= 2 && h[i - 2] === LF) return { blockEnd: i - 2, next: i + 1 };
    }
    this.scanned = Math.max(1, len - 2);
    return undefined;
  }

  private startFrame(block: Buffer, out: EslParserOutput[]): EslFrameError | undefined {
    const headers: Array<readonly [string, string]> = [];
    let contentLength: number | undefined;
    let contentType = '';
    for (let line of block.toString('utf8').split('\n')) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') continue;
      if (headers.length >= MAX_FRAME_HEADERS) return { code: 'FEATURE_ESL_BAD_HEADER', message: `more than ${MAX_FRAME_HEADERS} header lines` };
      const colon = line.indexOf(':');
      if (colon <= 0) return { code: 'FEATURE_ESL_BAD_HEADER', message: `header line without a name: ${JSON.stringify(line.slice(0, 80))}` };
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      headers.push([name, value]);
      const lower = name.toLowerCase();
      if (lower === 'content-type') contentType = value;
      else if (lower === 'content-length') {
        if (!/^\d{1,9}$/.test(value)) return { code: 'FEATURE_ESL_BAD_CONTENT_LENGTH', message: `Content-Length ${JSON.stringify(value.slice(0, 20))} is not a byte count` };
        const n = Number(value);
        if (n > MAX_DECLARED_CONTENT_LENGTH) return { code: 'FEATURE_ESL_BODY_TOO_LARGE', message: `Content-Length ${n} exceeds ${MAX_DECLARED_CONTENT_LENGTH}` };
        contentLength = n;
      }
    }
    if (contentLength === undefined || contentLength === 0) {
      out.push({ kind: 'frame', frame: { headers, contentType, body: contentLength === 0 ? Buffer.alloc(0) : undefined } });
      return undefined;
    }
    this.pendingHeaders = headers;
    this.pendingType = contentType;
    this.bodyLeft = contentLength;
    this.bodyTotal = contentLength;
    this.bodyChunks = [];
    this.skipping = contentLength > this.maxBodyBytes;
    return undefined;
  }

  private takeBody(data: Buffer, out: EslParserOutput[]): Buffer {
    const n = Math.min(this.bodyLeft, data.length);
    if (!this.skipping) this.bodyChunks.push(data.subarray(0, n));
    this.bodyLeft -= n;
    if (this.bodyLeft === 0) {
      if (this.skipping) {
        out.push({ kind: 'skipped', skipped: { contentType: this.pendingType, bodyBytes: this.bodyTotal } });
      } else {
        const body = this.bodyChunks.length === 1 ? Buffer.from(this.bodyChunks[0] as Buffer) : Buffer.concat(this.bodyChunks);
        out.push({ kind: 'frame', frame: { headers: this.pendingHeaders ?? [], contentType: this.pendingType, body } });
      }
      this.pendingHeaders = undefined;
      this.bodyChunks = [];
    }
    return data.subarray(n);
  }
}

/** Index just after the first empty line (LF LF or LF CR LF) that starts before `limit`, or -1. */
function afterBlankLine(b: Buffer, limit: number): number {
  for (let i = b.indexOf(LF); i >= 0 && i < limit; i = b.indexOf(LF, i + 1)) {
    if (b[i + 1] === LF) return i + 2;
    if (b[i + 1] === CR && b[i + 2] === LF) return i + 3;
  }
  return -1;
}
