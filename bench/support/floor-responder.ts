/**
 * The floor any Node SIP server pays: a bare UDP socket that answers every request with a 200
 * built by copying the Via/From/To/Call-ID/CSeq lines and nothing else — no parsing, no
 * validation, no transaction. bench:options compares our CPU per request with this.
 * With `literal`, its sends skip dgram's destination lookup: `socket.send(buf, port, address)` asks
 * dns.lookup even for an IP literal, which answers on the next tick; a server can answer that
 * itself, as sipcluster's transport does (`literalLookup`). bench:options reports both floors.
 * With `busy=<µs>`, each answer is preceded by that much busy-waiting on the clock (a stand-in for a
 * server's own work, without its memory traffic): bench:busy uses it to show what one µs of work
 * costs in CPU time per request on the machine at hand.
 * With `native`, the socket is the node's native UDP engine (src/sip/transport/native-udp.ts:
 * recvmmsg, one JavaScript call per batch; the answers of a turn leave with one sendmmsg from
 * setImmediate, as the node's send queue does): the floor under sipcluster with sip.udpEngine auto.
 *   npx tsx bench/support/floor-responder.ts <port> [literal | native] [busy=<µs>]
 */
import { createSocket } from 'node:dgram';
import { NativeUdpSocket, nativeUdp } from '../../src/sip/transport/native-udp.ts';

const port = Number(process.argv[2] ?? 5999);
const literal = process.argv.includes('literal');
const busyArg = process.argv.find((a) => a.startsWith('busy='));
const busyMs = busyArg === undefined ? 0 : Number(busyArg.slice(5)) / 1000;
if (!(busyMs >= 0 && busyMs < 1000)) throw new Error(`bad ${busyArg ?? ''}: busy=<µs below 1e6>`);
const STATUS = Buffer.from('SIP/2.0 200 OK\r\n');
const TAIL = Buffer.from('Content-Length: 0\r\n\r\n');
const parts: Buffer[] = [];

/** True when the header line at i starts with one of the names we copy (long or compact form). */
function wanted(b: Buffer, i: number): boolean {
  const c = b[i]! | 0x20;
  const next = b[i + 1]!;
  if (next === 0x3a || next === 0x20) return c === 0x76 || c === 0x66 || c === 0x74 || c === 0x69; // v f t i
  if (c === 0x76) return (b[i + 1]! | 0x20) === 0x69 && (b[i + 2]! | 0x20) === 0x61 && b[i + 3] === 0x3a; // Via:
  if (c === 0x66) return (b[i + 1]! | 0x20) === 0x72 && (b[i + 4] === 0x3a); // From:
  if (c === 0x74) return (b[i + 1]! | 0x20) === 0x6f && b[i + 2] === 0x3a; // To:
  if (c === 0x63) return (b[i + 1]! | 0x20) === 0x61 || (b[i + 1]! | 0x20) === 0x73; // Call-ID, CSeq
  return false;
}

/** The 200 for request `b` (and the busy wait, if asked). */
function answer(b: Buffer): Buffer {
  parts.length = 0;
  parts.push(STATUS);
  let i = b.indexOf(10) + 1;
  while (i < b.length && b[i] !== 13) {
    const end = b.indexOf(10, i) + 1;
    if (end === 0) break;
    if (wanted(b, i)) parts.push(b.subarray(i, end));
    i = end;
  }
  parts.push(TAIL);
  if (busyMs > 0) {
    // performance.now() reads the clock through the vDSO: user time, no system call.
    const until = performance.now() + busyMs;
    while (performance.now() < until);
  }
  return Buffer.concat(parts);
}

if (process.argv.includes('native')) {
  const binding = nativeUdp();
  if (binding === undefined) throw new Error('native floor: the native UDP engine is not built (node scripts/build-native.mjs)');
  let datas: Buffer[] = [];
  let ports: number[] = [];
  let addresses: string[] = [];
  const flush = (): void => {
    const d = datas; const p = ports; const a = addresses;
    datas = []; ports = []; addresses = [];
    native.sendMany(d, p, a, undefined, 0, d.length, () => {});
  };
  const native = new NativeUdpSocket(binding, 4, '127.0.0.1', port, 4 * 1024 * 1024, (b, address, from) => {
    if (datas.length === 0) setImmediate(flush);
    datas.push(answer(b)); ports.push(from); addresses.push(address);
  }, () => {}, () => {});
  process.stdout.write(`floor responder (native UDP engine) on udp:127.0.0.1:${native.port}\n`);
  process.on('SIGTERM', () => { void native.close().then(() => process.exit(0)); });
} else {
  // The floor answers 127.0.0.1 only: the address is an IPv4 literal.
  const sock = literal
    ? createSocket({ type: 'udp4', lookup: (address, _options, cb) => (cb as (e: null, a: string, f: number) => void)(null, address, 4) })
    : createSocket('udp4');
  sock.on('message', (b, rinfo) => sock.send(answer(b), rinfo.port, rinfo.address));
  sock.bind(port, '127.0.0.1', () => process.stdout.write(`floor responder${literal ? ' (literal lookup)' : ''} on udp:127.0.0.1:${port}\n`));
  process.on('SIGTERM', () => sock.close(() => process.exit(0)));
}
