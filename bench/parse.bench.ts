// Parse and serialize cost of src/sip/message against the npm `sip` package (0.0.6), same messages,
// same process, same run. Run: npm run bench:parse  (tsx bench/parse.bench.ts [iterations])
// `sip` parses a string (its transport converts with toString('binary') first); we hand it the string
// ready-made, which favours it. Our parse takes the received Buffer.
import sip from 'sip';
import { parseMessage, MessageEditor, formatVia } from '../src/sip/message/index.ts';

const REGISTER = [
  'REGISTER sip:registrar.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: Bob <sip:bob@example.com>;tag=456248',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
  'Contact: <sip:bob@192.0.2.10:5060>;expires=3600',
  'User-Agent: bench/1.0',
  'Content-Length: 0',
  '', '',
].join('\r\n');

const SDP = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:97 iLBC/8000\r\n';
const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP proxy1.example.com:5060;branch=z9hG4bK2d4790.1',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101;rport=5060',
  'Max-Forwards: 69',
  'Route: <sip:proxy2.example.com;lr>, <sip:proxy3.example.com;lr>',
  'Record-Route: <sip:proxy1.example.com;lr>',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.101:5060;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY',
  'Supported: replaces, timer',
  'User-Agent: bench/1.0',
  'Session-Expires: 1800',
  'Min-SE: 90',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '', SDP,
].join('\r\n');

const iterations = Number(process.argv[2] ?? 50_000);
const ROUNDS = 7;
const WARMUP_CALLS = 30_000;
let sink = 0;

/**
 * CPU time (user + system, process.cpuUsage) per call, in µs: the machines running this are shared,
 * so wall time mostly measures the neighbors. Ours and theirs run in alternating rounds after a
 * warm-up; the best round of each is kept (the least disturbed one).
 */
const pending: Array<{ message: string; variant: string; ours: () => void; theirs: () => void }> = [];

function compare(ours: () => void, theirs: () => void): [number, number] {
  let a = Infinity;
  let b = Infinity;
  const round = (fn: () => void): number => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < iterations; i++) fn();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / iterations;
  };
  for (let r = 0; r < ROUNDS; r++) {
    a = Math.min(a, round(ours));
    b = Math.min(b, round(theirs));
  }
  return [a, b];
}

interface Row { message: string; variant: string; ours: number; theirs: number }
const rows: Row[] = [];

for (const [name, text] of [['REGISTER', REGISTER], ['INVITE (17 hdrs + SDP)', INVITE]] as const) {
  const buf = Buffer.from(text, 'latin1');
  const str = text;
  const check = parseMessage(buf);
  if (!check.ok || sip.parse(str) === undefined) throw new Error(`bench message ${name} does not parse`);

  pending.push({
    message: name, variant: 'parse',
    ours: () => { const r = parseMessage(buf); sink += r.ok ? 1 : 0; },
    theirs: () => { const m = sip.parse(str); sink += m ? 1 : 0; },
  });

  pending.push({
    message: name, variant: 'parse + read proxy headers',
    ours: () => {
      const r = parseMessage(buf);
      if (!r.ok) return;
      const m = r.value;
      const routes = m.routes();
      sink += m.topVia.branch!.length + m.cseq.seq + m.callId.length + (m.from.tag?.length ?? 0) + (m.to.tag?.length ?? 0) + (m.maxForwards ?? 0) + (routes.ok ? routes.value.length : 0);
    },
    theirs: () => {
      const m = sip.parse(str);
      const h = m.headers;
      sink += h.via[0].params.branch.length + h.cseq.seq + h['call-id'].length + (h.from.params.tag?.length ?? 0) + (h.to.params.tag?.length ?? 0) + Number(h['max-forwards'] ?? 0) + (h.route?.length ?? 0);
    },
  });

  const myVia = formatVia({ transport: 'UDP', host: '192.0.2.1', port: 5060, branch: 'z9hG4bKbenchbranch1' });
  pending.push({
    message: name, variant: 'parse + proxy edit + serialize',
    ours: () => {
      const r = parseMessage(buf);
      if (!r.ok) return;
      const ed = new MessageEditor(r.value);
      ed.addViaTop(myVia);
      ed.decrementMaxForwards();
      if (r.value.has('Route')) ed.popTopRoute();
      sink += ed.toBuffer().length;
    },
    theirs: () => {
      const m = sip.parse(str);
      const h = m.headers;
      h.via.unshift({ version: '2.0', protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: 'z9hG4bKbenchbranch1' } });
      h['max-forwards'] = Number(h['max-forwards']) - 1;
      if (h.route) h.route.shift();
      sink += Buffer.from(sip.stringify(m), 'binary').length;
    },
  });
}

// Warm every function first (JIT tiers settle before any round is timed), then measure.
for (let i = 0; i < WARMUP_CALLS; i++) for (const c of pending) { c.ours(); c.theirs(); }
for (const c of pending) {
  const [ours, theirs] = compare(c.ours, c.theirs);
  rows.push({ message: c.message, variant: c.variant, ours, theirs });
}

const fmt = (us: number) => us.toFixed(2).padStart(8);
const rate = (us: number) => Math.round(1e6 / us).toLocaleString('en-US').padStart(11);
console.log(`node ${process.version}; CPU µs per message, best of ${ROUNDS} alternating rounds of ${iterations.toLocaleString('en-US')}, after ${WARMUP_CALLS.toLocaleString('en-US')} warm-up calls of every case\n`);
console.log(`${'message'.padEnd(24)}${'variant'.padEnd(32)}${'ours µs'.padStart(8)}${'ours msg/s'.padStart(12)}${'sip µs'.padStart(9)}${'sip msg/s'.padStart(12)}  speed-up`);
for (const r of rows) {
  console.log(`${r.message.padEnd(24)}${r.variant.padEnd(32)}${fmt(r.ours)}${rate(r.ours)} ${fmt(r.theirs)}${rate(r.theirs)}  ${(r.theirs / r.ours).toFixed(2)}x`);
}
if (sink === 42) console.log('');
