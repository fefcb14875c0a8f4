/**
 * The edits a proxy makes to a message it forwards (RFC 3261 §16.6): add/remove the top Via, prepend
 * Record-Route, pop the top Route value, set Max-Forwards, add/remove/replace headers, replace the
 * Request-URI or the body. Edits are recorded against header-line indices of the received message;
 * toBuffer() copies every untouched byte range and splices the edits in. Untouched headers are never
 * decoded or re-serialized.
 */
import { H, headerIdOf, canonicalName, CANONICAL_NAMES, type HeaderId } from './header-names.ts';
import { HDR_STRIDE, HDR_LINE_START, HDR_VALUE_START, HDR_VALUE_END, type SipMessage } from './sip-message.ts';
import { joinPieces, headerLine, isSingleLine, type Piece } from './serializer.ts';
import { DEFAULT_MAX_FORWARDS, MAX_LIST_VALUES } from './limits.ts';
import { invariant } from '../../lib/errors.ts';

export class MessageEditor {
  private readonly msg: SipMessage;
  private readonly removed: Uint8Array;
  /** Values already popped from the front of a comma-separated line (Via/Route with several values). */
  private readonly skipped: Uint16Array;
  private readonly replaced = new Map<number, string>();
  /** Values added on top of a list header, in the order they will be written (top first). */
  private readonly addedOnTop = new Map<HeaderId, string[]>();
  private readonly addedTop: string[] = [];
  private readonly addedBottom: string[] = [];
  private newUri: string | undefined;
  private newBody: Buffer | undefined;
  private maxForwardsValue: number | undefined;

  constructor(msg: SipMessage) {
    this.msg = msg;
    this.removed = new Uint8Array(msg.headerCount);
    this.skipped = new Uint16Array(msg.headerCount);
    this.maxForwardsValue = msg.maxForwards;
  }

  private pushTop(id: HeaderId, value: string): void {
    invariant(isSingleLine(value), 'CR or LF in a header value');
    const list = this.addedOnTop.get(id);
    if (list === undefined) this.addedOnTop.set(id, [value]);
    else list.unshift(value);
  }

  /** RFC 3261 §16.6 step 8: this node's Via goes above all others. `value` is a via-parm (see formatVia). */
  addViaTop(value: string): this {
    this.pushTop(H.via, value);
    return this;
  }
  /** RFC 3261 §16.6 step 4. */
  prependRecordRoute(value: string): this {
    this.pushTop(H.recordRoute, value);
    return this;
  }
  prependRoute(value: string): this {
    this.pushTop(H.route, value);
    return this;
  }

  /** RFC 3261 §18.2.1/§16.7 step 3: drop the topmost Via value (a response going back). */
  removeTopVia(): boolean {
    return this.popTop(H.via);
  }
  /** RFC 3261 §16.4: drop the topmost Route value, which may share its line with others. */
  popTopRoute(): boolean {
    return this.popTop(H.route);
  }

  private popTop(id: HeaderId): boolean {
    const added = this.addedOnTop.get(id);
    if (added !== undefined && added.length > 0) {
      added.shift();
      return true;
    }
    const msg = this.msg;
    for (let i = msg.indexOfId(id); i >= 0; i = msg.indexOfId(id, i + 1)) {
      if (this.removed[i] === 1 || this.replaced.has(i)) continue;
      const offs: number[] = [];
      msg.splitLine(i, offs, MAX_LIST_VALUES);
      const count = offs.length / 2;
      if ((this.skipped[i] ?? 0) + 1 >= count) this.removed[i] = 1;
      else this.skipped[i] = (this.skipped[i] ?? 0) + 1;
      return true;
    }
    return false;
  }

  setMaxForwards(n: number): this {
    invariant(Number.isInteger(n) && n >= 0 && n <= 255, 'Max-Forwards must be 0..255');
    this.maxForwardsValue = n;
    const i = this.msg.indexOfId(H.maxForwards);
    if (i >= 0) this.replaced.set(i, String(n));
    else if (!this.addedBottom.some((l) => l.startsWith('Max-Forwards:'))) this.addedBottom.push(headerLine('Max-Forwards', String(n)));
    else this.addedBottom.splice(this.addedBottom.findIndex((l) => l.startsWith('Max-Forwards:')), 1, headerLine('Max-Forwards', String(n)));
    return this;
  }

  /**
   * RFC 3261 §16.6 step 3: decrement, or add 70 when the request had none. The caller must have
   * answered 483 for a value of 0 (§16.3 step 3). Returns the new value.
   */
  decrementMaxForwards(): number {
    const cur = this.maxForwardsValue;
    const next = cur === undefined ? DEFAULT_MAX_FORWARDS : cur - 1;
    invariant(next >= 0, 'Max-Forwards already 0: answer 483 instead of forwarding');
    this.setMaxForwards(next);
    return next;
  }

  /** Adds a header line at the top of the header block or (default) at the bottom. */
  addHeader(name: string, value: string, position: 'top' | 'bottom' = 'bottom'): this {
    (position === 'top' ? this.addedTop : this.addedBottom).push(headerLine(canonicalName(name), value));
    return this;
  }

  /** Removes every line of this header (any spelling, compact forms included); returns how many. */
  removeHeader(name: string): number {
    let n = 0;
    const id = headerIdOf(name);
    for (let i = this.msg.indexOf(name); i >= 0; i = this.msg.indexOf(name, i + 1)) {
      if (this.removed[i] !== 1) n++;
      this.removed[i] = 1;
      this.replaced.delete(i);
    }
    if (id !== H.other) this.addedOnTop.delete(id);
    if (id === H.maxForwards) this.maxForwardsValue = undefined;
    return n;
  }

  /** Replaces all lines of a header by one with this value (kept at the first line's place). */
  replaceHeader(name: string, value: string): this {
    const first = this.msg.indexOf(name);
    this.removeHeader(name);
    if (first >= 0) {
      invariant(isSingleLine(value), 'CR or LF in a header value');
      this.removed[first] = 0;
      this.skipped[first] = 0;
      this.replaced.set(first, value);
    } else this.addHeader(name, value);
    return this;
  }

  /** RFC 3261 §16.6 step 2 / §16.5: the new Request-URI (requests only). */
  setRequestUri(uri: string): this {
    invariant(this.msg.kind === 'request', 'setRequestUri on a response');
    invariant(uri.length > 0 && isSingleLine(uri) && uri.indexOf(' ') < 0, 'Request-URI with white space or CR/LF');
    this.newUri = uri;
    return this;
  }

  /** Replaces the body; Content-Length follows, Content-Type too when given. */
  setBody(body: Buffer | string, contentType?: string): this {
    this.newBody = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (contentType !== undefined) this.replaceHeader('Content-Type', contentType);
    return this;
  }

  /** Writes the edited message: untouched ranges copied, edits spliced, Content-Length always present. */
  toBuffer(): Buffer {
    const msg = this.msg;
    const buf = msg.buffer;
    const t = msg.table;
    const pieces: Piece[] = [];
    let pos = msg.start;
    if (this.newUri !== undefined) {
      pieces.push(buf.subarray(pos, msg.uriStart), this.newUri);
      pos = msg.uriEnd;
    }
    const pendingTop = new Map(this.addedOnTop);
    const placeAdded = (id: HeaderId): void => {
      const list = pendingTop.get(id);
      if (list === undefined) return;
      for (const v of list) pieces.push(headerLine(CANONICAL_NAMES[id] ?? '', v));
      pendingTop.delete(id);
    };
    if (this.addedTop.length > 0) {
      pieces.push(buf.subarray(pos, msg.startLineEnd));
      pos = msg.startLineEnd;
      for (const l of this.addedTop) pieces.push(l);
    }
    const newBodyLength = this.newBody?.length;
    let clWritten = false;
    for (let i = 0; i < msg.headerCount; i++) {
      const b = i * HDR_STRIDE;
      const id = msg.headerId(i);
      const ls = t[b + HDR_LINE_START] ?? 0;
      const le = msg.lineEnd(i);
      const hasAdded = pendingTop.has(id);
      const isCl = id === H.contentLength && this.removed[i] !== 1;
      const touched = hasAdded || this.removed[i] === 1 || this.skipped[i] !== 0 || this.replaced.has(i) || (isCl && newBodyLength !== undefined);
      if (isCl) clWritten = true;
      if (!touched) continue;
      if (pos < ls) pieces.push(buf.subarray(pos, ls));
      pos = le;
      if (hasAdded) placeAdded(id);
      if (this.removed[i] === 1) continue;
      const vs = t[b + HDR_VALUE_START] ?? 0;
      const ve = t[b + HDR_VALUE_END] ?? 0;
      pieces.push(buf.subarray(ls, vs));
      const rep = isCl && newBodyLength !== undefined ? String(newBodyLength) : this.replaced.get(i);
      if (rep !== undefined) pieces.push(rep);
      else if (this.skipped[i] !== 0) {
        const offs: number[] = [];
        msg.splitLine(i, offs, MAX_LIST_VALUES);
        pieces.push(buf.subarray(offs[2 * (this.skipped[i] ?? 0)] ?? ve, ve));
      } else pieces.push(buf.subarray(vs, ve));
      pieces.push('\r\n');
    }
    if (pos < msg.headersEnd) pieces.push(buf.subarray(pos, msg.headersEnd));
    // Added list values whose header was absent (e.g. the first Record-Route) go at the end.
    for (const id of pendingTop.keys()) placeAdded(id);
    for (const l of this.addedBottom) pieces.push(l);
    if (!clWritten) pieces.push(headerLine('Content-Length', String(newBodyLength ?? msg.bodyEnd - msg.bodyStart)));
    pieces.push('\r\n');
    pieces.push(this.newBody ?? buf.subarray(msg.bodyStart, msg.bodyEnd));
    return joinPieces(pieces);
  }
}
