/**
 * The edits a proxy makes to a message it forwards (RFC 3261 §16.6): add/remove the top Via, prepend
 * Record-Route, pop the top Route value, set Max-Forwards, add/remove/replace headers, replace the
 * Request-URI or the body. Edits are recorded against header-line indices of the received message;
 * toBuffer() copies every untouched byte range and splices the edits in. Untouched headers are never
 * decoded or re-serialized.
 *
 * Per message this allocates the editor, one plain array of line states on the first edit, and the
 * output Buffer (DESIGN §8): no Maps, typed arrays or Buffer views; toBuffer() records its plan in a
 * reused scratch list, sizes it, and writes once.
 */
import { H, headerIdOf, canonicalName, CANONICAL_NAMES, type HeaderId } from './header-names.ts';
import { HDR_STRIDE, HDR_LINE_START, HDR_VALUE_START, HDR_VALUE_END, type SipMessage } from './sip-message.ts';
import { headerLine, isSingleLine, byteLength, writeString, copyBytes } from './serializer.ts';
import { listElement } from './header-values.ts';
import { DEFAULT_MAX_FORWARDS, MAX_LIST_VALUES } from './limits.ts';
import { invariant } from '../../lib/errors.ts';

// Pending added headers are a bit set over header ids (as the duplicate check in essentials.ts).
invariant(CANONICAL_NAMES.length <= 31, 'header ids must fit a 32-bit mask');

/** Line state: REMOVED, or how many values were popped from the front of the line (0: untouched). */
const REMOVED = -1;

/**
 * The write plan of toBuffer(): strings, and byte ranges of the received buffer as two numbers
 * (start, end). Reused: toBuffer() is synchronous.
 */
const PLAN: Array<string | number> = [];

export class MessageEditor {
  private readonly msg: SipMessage;
  /** Per header line: REMOVED or the count of values skipped at its front; created on the first edit. */
  private state: number[] | undefined = undefined;
  /** Replacement values by header line; created on the first replacement. */
  private replaced: Array<string | undefined> | undefined = undefined;
  /** Values added on top of a list header, by header id, in the order they will be written (top first). */
  private onTop: Array<string[] | undefined> | undefined = undefined;
  /** Ids with added values, in the order their first value was added (where absent headers go). */
  private readonly topOrder: number[] = [];
  private readonly addedTop: string[] = [];
  private readonly addedBottom: string[] = [];
  private newUri: string | undefined;
  private newBody: Buffer | undefined;
  private maxForwardsValue: number | undefined;

  constructor(msg: SipMessage) {
    this.msg = msg;
    this.maxForwardsValue = msg.maxForwards;
  }

  private lines(): number[] {
    return (this.state ??= new Array<number>(this.msg.headerCount).fill(0));
  }
  private replacedAt(i: number): string | undefined {
    return this.replaced === undefined ? undefined : this.replaced[i];
  }
  private setReplaced(i: number, v: string | undefined): void {
    if (this.replaced === undefined) {
      if (v === undefined) return;
      this.replaced = new Array<string | undefined>(this.msg.headerCount).fill(undefined);
    }
    this.replaced[i] = v;
  }
  private topList(id: HeaderId): string[] | undefined {
    return this.onTop === undefined ? undefined : this.onTop[id];
  }

  private pushTop(id: HeaderId, value: string): void {
    invariant(isSingleLine(value), 'CR or LF in a header value');
    const top = (this.onTop ??= new Array<string[] | undefined>(CANONICAL_NAMES.length).fill(undefined));
    const list = top[id];
    if (list === undefined) {
      top[id] = [value];
      this.topOrder.push(id);
    } else list.unshift(value);
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
    const added = this.topList(id);
    if (added !== undefined && added.length > 0) {
      added.shift();
      return true;
    }
    const msg = this.msg;
    const t = msg.table;
    for (let i = msg.indexOfId(id); i >= 0; i = msg.indexOfId(id, i + 1)) {
      const st = this.state === undefined ? 0 : (this.state[i] ?? 0);
      if (st === REMOVED || this.replacedAt(i) !== undefined) continue;
      const b = i * HDR_STRIDE;
      const all = listElement(msg.buffer, t[b + HDR_VALUE_START] ?? 0, t[b + HDR_VALUE_END] ?? 0, -1);
      const count = all < MAX_LIST_VALUES ? all : MAX_LIST_VALUES;
      this.lines()[i] = st + 1 >= count ? REMOVED : st + 1;
      return true;
    }
    return false;
  }

  setMaxForwards(n: number): this {
    invariant(Number.isInteger(n) && n >= 0 && n <= 255, 'Max-Forwards must be 0..255');
    this.maxForwardsValue = n;
    const i = this.msg.indexOfId(H.maxForwards);
    if (i >= 0) this.setReplaced(i, String(n));
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
      const lines = this.lines();
      if (lines[i] !== REMOVED) n++;
      lines[i] = REMOVED;
      this.setReplaced(i, undefined);
    }
    if (id !== H.other && this.onTop !== undefined && this.onTop[id] !== undefined) {
      this.onTop[id] = undefined;
      this.topOrder.splice(this.topOrder.indexOf(id), 1);
    }
    if (id === H.maxForwards) this.maxForwardsValue = undefined;
    return n;
  }

  /**
   * Removes header line i of the received message, and no other line of its name: one credentials
   * value of several (RFC 3261 §20.28, §22.3: a proxy takes out only its own realm's). False when
   * it was already removed.
   */
  removeLine(i: number): boolean {
    invariant(Number.isInteger(i) && i >= 0 && i < this.msg.headerCount, 'no such header line');
    const lines = this.lines();
    if (lines[i] === REMOVED) return false;
    lines[i] = REMOVED;
    this.setReplaced(i, undefined);
    if (this.msg.headerId(i) === H.maxForwards) this.maxForwardsValue = undefined;
    return true;
  }

  /** Replaces all lines of a header by one with this value (kept at the first line's place). */
  replaceHeader(name: string, value: string): this {
    const first = this.msg.indexOf(name);
    this.removeHeader(name);
    if (first >= 0) {
      invariant(isSingleLine(value), 'CR or LF in a header value');
      this.lines()[first] = 0;
      this.setReplaced(first, value);
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
    const state = this.state;
    const onTop = this.onTop;
    const plan = PLAN;
    plan.length = 0;
    let pos = msg.start;
    if (this.newUri !== undefined) {
      plan.push(pos, msg.uriStart, this.newUri);
      pos = msg.uriEnd;
    }
    // Bit per header id whose added values are still to be written.
    let pending = 0;
    if (onTop !== undefined) for (let id = 1; id < onTop.length; id++) if (onTop[id] !== undefined) pending |= 1 << id;
    if (this.addedTop.length > 0) {
      plan.push(pos, msg.startLineEnd);
      pos = msg.startLineEnd;
      for (const l of this.addedTop) plan.push(l);
    }
    const newBodyLength = this.newBody?.length;
    let clWritten = false;
    for (let i = 0; i < msg.headerCount; i++) {
      const b = i * HDR_STRIDE;
      const id = msg.headerId(i);
      const st = state === undefined ? 0 : (state[i] ?? 0);
      const hasAdded = (pending & (1 << id)) !== 0 && id !== H.other;
      const isCl = id === H.contentLength && st !== REMOVED;
      const rep = isCl && newBodyLength !== undefined ? String(newBodyLength) : this.replacedAt(i);
      if (isCl) clWritten = true;
      if (!hasAdded && st === 0 && rep === undefined) continue;
      const ls = t[b + HDR_LINE_START] ?? 0;
      if (pos < ls) plan.push(pos, ls);
      pos = msg.lineEnd(i);
      if (hasAdded) {
        placeAdded(plan, id, onTop);
        pending &= ~(1 << id);
      }
      if (st === REMOVED) continue;
      const vs = t[b + HDR_VALUE_START] ?? 0;
      const ve = t[b + HDR_VALUE_END] ?? 0;
      plan.push(ls, vs);
      if (rep !== undefined) plan.push(rep);
      else if (st > 0) plan.push(listElement(buf, vs, ve, st), ve);
      else plan.push(vs, ve);
      plan.push('\r\n');
    }
    if (pos < msg.headersEnd) plan.push(pos, msg.headersEnd);
    // Added list values whose header was absent (e.g. the first Record-Route) go at the end.
    for (let k = 0; pending !== 0 && k < this.topOrder.length; k++) {
      const id = this.topOrder[k] as number;
      if ((pending & (1 << id)) === 0) continue;
      placeAdded(plan, id, onTop);
      pending &= ~(1 << id);
    }
    for (const l of this.addedBottom) plan.push(l);
    if (!clWritten) plan.push(headerLine('Content-Length', String(newBodyLength ?? msg.bodyEnd - msg.bodyStart)));
    plan.push('\r\n');
    const body = this.newBody;
    if (body === undefined) plan.push(msg.bodyStart, msg.bodyEnd);

    let total = body === undefined ? 0 : body.length;
    for (let k = 0; k < plan.length; k++) {
      const p = plan[k] as string | number;
      if (typeof p === 'string') total += byteLength(p);
      else total += (plan[++k] as number) - p;
    }
    const out = Buffer.allocUnsafe(total);
    let o = 0;
    for (let k = 0; k < plan.length; k++) {
      const p = plan[k] as string | number;
      if (typeof p === 'string') o = writeString(out, p, o);
      else o = copyBytes(buf, p, plan[++k] as number, out, o);
    }
    if (body !== undefined) o = copyBytes(body, 0, body.length, out, o);
    invariant(o === total, 'edited message size mismatch');
    plan.length = 0;
    return out;
  }
}

/** Plans the added values of header `id` as lines of their own (`Name: value` CRLF), top first. */
function placeAdded(plan: Array<string | number>, id: number, onTop: Array<string[] | undefined> | undefined): void {
  const list = onTop?.[id];
  if (list === undefined) return;
  const name = CANONICAL_NAMES[id] ?? '';
  for (let k = 0; k < list.length; k++) plan.push(name, ': ', list[k] as string, '\r\n');
}
