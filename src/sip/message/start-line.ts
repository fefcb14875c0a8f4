/**
 * Request-Line and Status-Line (RFC 3261 §7.1, §7.2): exactly one SP between the elements, no
 * trailing white space (RFC 4475 lwsstart, trws, lwsruri), a 3-digit status code (bigcode). The SIP
 * version is checked for syntax only: a request with SIP/7.0 parses so the node can answer 505.
 */
import { MAX_METHOD_BYTES, MAX_URI_BYTES } from './limits.ts';
import { TOKEN, SP, isDigit, lower } from './chars.ts';
import { parseError, type SipParseError } from './errors.ts';
import { latin1, utf8 } from './header-values.ts';
import type { SipMessage } from './sip-message.ts';

const KNOWN_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE'];
const methodBytes = KNOWN_METHODS.map((m) => Buffer.from(m, 'latin1'));

/** The method as a shared string constant when it is a known one, avoiding a slice per message. */
export function methodAt(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  outer: for (let k = 0; k < methodBytes.length; k++) {
    const m = methodBytes[k];
    if (m === undefined || m.length !== len) continue;
    for (let i = 0; i < len; i++) if (buf[start + i] !== m[i]) continue outer;
    return KNOWN_METHODS[k] ?? '';
  }
  return latin1(buf, start, end);
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" in any case (RFC 3261 §7.1). */
function versionEnd(buf: Buffer, i: number, end: number): number {
  if (end - i < 7 || lower(buf[i] ?? 0) !== 0x73 || lower(buf[i + 1] ?? 0) !== 0x69 || lower(buf[i + 2] ?? 0) !== 0x70 || buf[i + 3] !== 0x2f) return -1;
  let j = i + 4;
  const major = j;
  while (j < end && isDigit(buf[j] ?? 0)) j++;
  if (j === major || buf[j] !== 0x2e) return -1;
  const minor = ++j;
  while (j < end && isDigit(buf[j] ?? 0)) j++;
  return j === minor ? -1 : j;
}

const SIP_2_0 = 'SIP/2.0';

/** The version text upper-cased, as the shared constant for the usual `SIP/2.0`. */
function versionAt(buf: Buffer, start: number, end: number): string {
  if (end - start === 7 && buf[start + 4] === 0x32 && buf[start + 5] === 0x2e && buf[start + 6] === 0x30 && buf[start] === 0x53 && buf[start + 1] === 0x49 && buf[start + 2] === 0x50) return SIP_2_0;
  return latin1(buf, start, end).toUpperCase();
}

function bad(code: SipParseError['code'], message: string, offset: number): SipParseError {
  return parseError(code, message, offset);
}

/** Parses buf[start,end) (the line without CRLF) into msg. Returns an error or undefined. */
export function parseStartLine(buf: Buffer, start: number, end: number, msg: SipMessage): SipParseError | undefined {
  const v = versionEnd(buf, start, end);
  if (v > 0) {
    msg.kind = 'response';
    msg.version = versionAt(buf, start, v);
    if (buf[v] !== SP) return bad('SIP_PARSE_BAD_START_LINE', 'Status-Line: SIP-Version SP Status-Code SP Reason-Phrase', v);
    let i = v + 1;
    let code = 0;
    const cs = i;
    while (i < end && isDigit(buf[i] ?? 0) && i - cs < 4) code = code * 10 + ((buf[i++] ?? 0) - 0x30);
    // RFC 4475 bigcode: 4294967301 is not a 3-digit status code.
    if (i - cs !== 3 || code < 100 || code > 699 || (i < end && buf[i] !== SP)) return bad('SIP_PARSE_BAD_STATUS_CODE', 'status code must be 3 digits, 100..699', cs);
    msg.status = code;
    // RFC 4475 noreason: the reason phrase may be empty; unreason: it is UTF-8.
    msg.reason = i < end ? utf8(buf, i + 1, end) : '';
    return undefined;
  }
  msg.kind = 'request';
  let i = start;
  while (i < end && TOKEN[buf[i] ?? 0] === 1) i++;
  if (i === start || i - start > MAX_METHOD_BYTES) return bad('SIP_PARSE_BAD_METHOD', 'method is not a token', start);
  if (buf[i] !== SP) return bad(i < end ? 'SIP_PARSE_BAD_METHOD' : 'SIP_PARSE_BAD_START_LINE', 'Request-Line: Method SP Request-URI SP SIP-Version', i);
  msg.method = methodAt(buf, start, i);
  const us = i + 1;
  let j = us;
  while (j < end && buf[j] !== SP) j++;
  if (j === us || j >= end || j - us > MAX_URI_BYTES) return bad('SIP_PARSE_BAD_START_LINE', 'Request-Line: Method SP Request-URI SP SIP-Version (single SP, RFC 3261 §7.1)', us);
  msg.uriStart = us;
  msg.uriEnd = j;
  const ve = versionEnd(buf, j + 1, end);
  if (ve !== end) return bad('SIP_PARSE_BAD_START_LINE', 'Request-Line must end with SIP-Version and nothing after it', j + 1);
  msg.version = versionAt(buf, j + 1, ve);
  return undefined;
}
