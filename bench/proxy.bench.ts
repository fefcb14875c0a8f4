// CPU cost of the stateful proxy core (src/sip/proxy) per proxied call, no sockets: SipCore.receive
// (parse) → transaction match → script → forward (splice) → out.send, on a fake clock.
// Run: tsx bench/proxy.bench.ts [calls-per-round]
//
//   INVITE→180→200: caller INVITE in (100 Trying + INVITE out), 180 in/out, 200 in/out
//   ACK+BYE→200:    ACK of the 2xx in/out (stateless), BYE in/out (new transaction), 200 in/out
//
// The script record-routes initial requests and loose-routes in-dialog ones, as a typical
// OpenSIPS route does. Every call has its own Call-ID and branch; transactions expire between
// rounds (the clock jumps 64·T1 outside the timed region).
import { FakeClock } from '../src/lib/fake-time.ts';
import { nullCounters } from '../src/lib/counter.ts';
import type { Random } from '../src/lib/time.ts';
import { buildResponse, parseMessage, type SipMessage } from '../src/sip/message/index.ts';
import { SipCore, SipProxy, type SipSource, type SipTarget } from '../src/sip/proxy/index.ts';

const calls = Number(process.argv[2] ?? 2000);
const ROUNDS = 15;
const PROXY = '10.0.0.1';
const caller: SipSource = { proto: 'udp', remoteAddress: '192.0.2.10', remotePort: 5060, localAddress: PROXY, localPort: 5060 };
const callee: SipSource = { proto: 'udp', remoteAddress: '192.0.2.20', remotePort: 5060, localAddress: PROXY, localPort: 5060 };
const SDP = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n';

/** Zero bytes: the branch of slot i is then the same every round, so responses can be prebuilt. */
const fixedRandom: Random = { next: () => 0, bytes: (n) => new Uint8Array(n) };

let capture: Buffer[] | undefined;
let sink = 0;
const out = { send: (_t: SipTarget, d: Buffer): boolean => { if (capture !== undefined) capture.push(d); else sink += d.length; return true; } };
const clock = new FakeClock();
const core = new SipCore({ out, counters: nullCounters, serverHeader: 'bench', allow: ['OPTIONS'] });
const proxy = new SipProxy({
  core, out, counters: nullCounters, timers: clock, random: fixedRandom, serverHeader: 'bench',
  listeners: [{ proto: 'udp', address: PROXY, port: 5060 }],
});
proxy.onRequest = (pr) => {
  if (pr.hasToTag) pr.looseRoute();
  else pr.recordRoute();
  pr.relay();
};

const req = (method: string, i: number, extra: string[], body = '') => Buffer.from([
  `${method} sip:bob@192.0.2.20:5060 SIP/2.0`,
  `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${method}${i};rport`,
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=a' + i,
  `To: <sip:bob@example.com>${method === 'INVITE' ? '' : ';tag=b' + i}`,
  `Call-ID: bench-${i}@192.0.2.10`,
  `CSeq: ${method === 'BYE' ? 2 : 1} ${method}`,
  'Contact: <sip:alice@192.0.2.10:5060>',
  'User-Agent: bench/1.0',
  ...extra,
  ...(body === '' ? [] : ['Content-Type: application/sdp']),
  `Content-Length: ${Buffer.byteLength(body)}`, '', body,
].join('\r\n'));

function parsed(b: Buffer): SipMessage {
  const r = parseMessage(b);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

interface Slot { invite: Buffer; r180: Buffer; r200: Buffer; ack: Buffer; bye: Buffer; bye200: Buffer }
const slots: Slot[] = [];
const route = [`Route: <sip:${PROXY}:5060;lr>`];
for (let i = 0; i < calls; i++) {
  const invite = req('INVITE', i, [], SDP);
  capture = [];
  core.receive(invite, caller);
  const fwd = parsed(capture[1] as Buffer);
  const opts = { toTag: `b${i}`, headers: [['Contact', '<sip:bob@192.0.2.20:5060>'], ['Record-Route', fwd.get('Record-Route') ?? '']] as Array<[string, string]> };
  const r180 = Buffer.from(buildResponse(fwd, 180, 'Ringing', opts).bytes);
  const r200 = Buffer.from(buildResponse(fwd, 200, 'OK', { ...opts, body: SDP, headers: [...opts.headers, ['Content-Type', 'application/sdp']] }).bytes);
  core.receive(r180, callee);
  core.receive(r200, callee);
  const ack = req('ACK', i, route);
  const bye = req('BYE', i, route);
  core.receive(ack, caller);
  capture = [];
  core.receive(bye, caller);
  const bye200 = Buffer.from(buildResponse(parsed(capture[0] as Buffer), 200, 'OK').bytes);
  core.receive(bye200, callee);
  slots.push({ invite, r180, r200, ack, bye, bye200 });
}
capture = undefined;
clock.advance(64_000);

function cpuUs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

let bestInvite = Infinity;
let bestDialog = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  const a = cpuUs(() => { for (const s of slots) { core.receive(s.invite, caller); core.receive(s.r180, callee); core.receive(s.r200, callee); } });
  const b = cpuUs(() => { for (const s of slots) { core.receive(s.ack, caller); core.receive(s.bye, caller); core.receive(s.bye200, callee); } });
  clock.advance(64_000);
  if (r >= 3) { bestInvite = Math.min(bestInvite, a / calls); bestDialog = Math.min(bestDialog, b / calls); }
}
if (proxy.serverTransactionCount !== 0 || proxy.clientTransactionCount !== 0) throw new Error('transactions left behind');
console.log(`node ${process.version}; CPU µs per call through SipCore + SipProxy (parse, match, script, splice, send), best of ${ROUNDS - 3} rounds of ${calls} calls`);
console.log(`INVITE→100+180→200 (3 in, 4 out)  ${bestInvite.toFixed(2).padStart(7)} µs  ${Math.round(1e6 / bestInvite).toLocaleString('en-US').padStart(8)} calls/s`);
console.log(`ACK + BYE→200     (3 in, 3 out)  ${bestDialog.toFixed(2).padStart(7)} µs  ${Math.round(1e6 / bestDialog).toLocaleString('en-US').padStart(8)} calls/s`);
console.log(`total per call                    ${(bestInvite + bestDialog).toFixed(2).padStart(7)} µs   (sink ${sink > 0 ? 'ok' : 'empty'})`);
