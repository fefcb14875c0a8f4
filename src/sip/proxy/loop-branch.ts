/**
 * Branch parameters that make loops detectable (RFC 3261 §16.6 step 8, §16.3 step 4).
 *
 * Our branch is `z9hG4bK` + `sc` + a 16-hex loop hash + `.` + a per-branch unique part. The loop
 * hash covers what a looping request keeps and a spiralling one changes: the Request-URI as
 * received (before translation), From tag, To tag, Call-ID, CSeq number, Proxy-Require and
 * Proxy-Authorization, and the Via that was on top when we received it. RFC 3261 names "the
 * topmost Via" as an input; we take its sent-by and branch only, because we added received/rport
 * to it when forwarding, and a later check must find the same value under our own Via.
 */
import { H, BRANCH_MAGIC_COOKIE, isRfc3261Branch, type SipMessage, type Via } from '../message/index.ts';
import type { Random } from '../../lib/time.ts';
import type { OwnAddresses } from './own-addresses.ts';

export const OUR_BRANCH_PREFIX = `${BRANCH_MAGIC_COOKIE}sc`;
const OUR_BRANCH_PREFIX_BYTES = Buffer.from(OUR_BRANCH_PREFIX, 'latin1');
const HASH_HEX_CHARS = 16;

/** Two FNV-1a lanes over a string, continued from `h` (64 bits of state, no BigInt). */
class Fnv {
  a = 0x811c9dc5;
  b = 0x01000193;
  add(s: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193) >>> 0;
      b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
    }
    // A separator, so ("ab","c") and ("a","bc") differ.
    this.a = Math.imul(a ^ 0xff, 0x01000193) >>> 0;
    this.b = Math.imul(b ^ 0xff, 0x5bd1e995) >>> 0;
    return this;
  }
  hex(): string {
    return hex32(this.a) + hex32(this.b);
  }
}

/**
 * Lower-case hex of each byte value. Number#toString(16) of a value above 2**31 (not a small
 * integer) goes through a floating-point modulo per digit (`__fmod_finite` in a call's profile):
 * ~750 ns for the two lanes of a hash, against ~70 ns by this table (a scratch loop on this VM).
 */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 8 lower-case hex digits of an unsigned 32-bit value. */
function hex32(v: number): string {
  return (HEX2[v >>> 24] as string) + (HEX2[(v >>> 16) & 0xff] as string) + (HEX2[(v >>> 8) & 0xff] as string) + (HEX2[v & 0xff] as string);
}

function viaKey(v: Via | undefined): string {
  return v === undefined ? '' : `${v.host.toLowerCase()}:${v.port ?? ''};${v.branch ?? ''}`;
}

/** The loop hash of a request as received, with `below` as the Via that was on top (§16.6 step 8). */
export function loopHash(msg: SipMessage, requestUri: string, below: Via | undefined): string {
  const f = new Fnv().add(requestUri).add(msg.from.tag ?? '').add(msg.to.tag ?? '').add(msg.callId).add(String(msg.cseq.seq));
  if (msg.indexOfId(H.proxyRequire) >= 0) f.add(msg.getAll('Proxy-Require').join(','));
  if (msg.indexOf('Proxy-Authorization') >= 0) f.add(msg.getAll('Proxy-Authorization').join(','));
  return f.add(viaKey(below)).hex();
}

/**
 * The loop hash of a statelessly forwarded request whose received branch has the magic cookie:
 * without the To tag, Proxy-Require and Proxy-Authorization, which its CANCEL lacks (§9.1) and the
 * ACK of a non-2xx changes (the response's To tag, §17.1.1.3). §16.11: the CANCEL and that ACK must
 * get the INVITE's branch, or the next hop matches neither (481 to the CANCEL, the final
 * retransmitted until timer H); RFC 3261 recommends hashing the received branch for such
 * requests, and the received Via (sent-by and branch) stays in here. Loops are still found: isLoop
 * accepts this hash under a Via of ours too.
 */
export function statelessLoopHash(msg: SipMessage, requestUri: string, below: Via | undefined): string {
  return new Fnv().add(requestUri).add(msg.from.tag ?? '').add(msg.callId).add(String(msg.cseq.seq)).add(viaKey(below)).hex();
}

/** A branch for a stateful client transaction: loop hash plus 8 random hex chars. */
export function statefulBranch(loop: string, random: Random): string {
  const b = random.bytes(4);
  let u = '';
  for (let i = 0; i < b.length; i++) u += HEX2[b[i] ?? 0] as string;
  return `${OUR_BRANCH_PREFIX}${loop}.${u}`;
}

/**
 * A branch for a statelessly forwarded request: the same for every retransmission of the same
 * request (§16.11), different for requests that differ in their received branch.
 */
export function statelessBranch(loop: string, receivedBranch: string | undefined): string {
  return `${OUR_BRANCH_PREFIX}${loop}.${new Fnv().add(receivedBranch ?? '').hex().slice(0, 8)}`;
}

/**
 * Whether our branch prefix appears anywhere in the message: on the header block's string when the
 * parser made one (a string search, a quarter of Buffer#indexOf with a string needle, which converts
 * the needle to bytes on every call), else on the bytes.
 */
function mayHaveOurBranch(msg: SipMessage): boolean {
  const head = msg.headString();
  return head !== '' ? head.indexOf(OUR_BRANCH_PREFIX) >= 0 : msg.buffer.indexOf(OUR_BRANCH_PREFIX_BYTES, msg.start) >= 0;
}

/**
 * §16.3 step 4: a request carrying a Via that we put there (our sent-by, our branch format) has
 * been here before. Same loop hash → it came back unchanged: a loop (482). Different → a spiral.
 * The raw scan keeps the common case (no Via of ours) free of Via parsing.
 */
export function isLoop(msg: SipMessage, own: OwnAddresses): boolean {
  const vs = msg.indexOfId(H.via);
  if (vs < 0 || !mayHaveOurBranch(msg)) return false;
  const vias = msg.vias();
  if (!vias.ok) return false;
  const list = vias.value;
  const uri = msg.uriText;
  for (let k = 0; k < list.length; k++) {
    const v = list[k] as Via;
    if (v.branch === undefined || !v.branch.startsWith(OUR_BRANCH_PREFIX) || !own.isOwnVia(v)) continue;
    const hash = v.branch.slice(OUR_BRANCH_PREFIX.length, OUR_BRANCH_PREFIX.length + HASH_HEX_CHARS);
    const below = list[k + 1];
    if (hash === loopHash(msg, uri, below)) return true;
    if (isRfc3261Branch(below?.branch) && hash === statelessLoopHash(msg, uri, below)) return true;
  }
  return false;
}
