/**
 * BIN codec cost per message type: encode and decode, ns per message and messages/s.
 * Field values are the ones captured from OpenSIPS 4.0.1 (vectors 01 #1, 04 #5, 03 #9, 02 #4);
 * the golden packets themselves are used when ../shared/vectors is there.
 * Run: npm run bench:wire
 */
import { hrtime } from 'node:process';
import { decodeBinPacket, encodeBinMessage, type BinMessage } from '../src/cluster/wire/index.ts';

const samples: Array<[string, BinMessage]> = [
  ['PING', { kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: true }],
  ['LS_UPDATE', { kind: 'ls-update', clusterId: 1, sourceNodeId: 2, lsSeqNo: 1, timestampS: 1795627961, neighborNodeId: 3, linkState: 'down', path: [2] }],
  ['GENERIC_MSG', {
    kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 3, isRequest: true,
    tag: '1-1-TJhRPNFPBgjPOevKKvmwBwoT', payload: Buffer.from('bcast from node 1: fcde03d7@lab'),
  }],
  ['UCONTACT_INSERT', {
    kind: 'ucontact-insert', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2,
    domain: Buffer.from('location'), aor: Buffer.from('alice@127.0.0.1'), contact: Buffer.from('sip:alice@127.0.0.1:40001'),
    contactId: 3107413374141464665n, callId: Buffer.from('alice-cid-1'), userAgent: Buffer.from('lab-sender'),
    path: Buffer.alloc(0), attr: Buffer.alloc(0), received: Buffer.alloc(0), instance: Buffer.alloc(0),
    expiresS: 1795631543n, q: -1, socket: Buffer.from('udp:127.0.0.1:5071'), cseq: 1, flags: 0, cflags: Buffer.alloc(0),
    methods: 0xffffffff, lastModifiedS: 1795627943n, kvStorage: Buffer.alloc(0), contactMatch: { mode: -1, params: [] },
  }],
];

let sink = 0;

function measure(fn: () => void, minMs: number): { nsPerOp: number; ops: number } {
  let batch = 1000;
  for (;;) {
    const t0 = hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    const ns = Number(hrtime.bigint() - t0);
    if (ns >= minMs * 1e6) return { nsPerOp: ns / batch, ops: batch };
    batch *= 2;
  }
}

const rows: string[][] = [];
for (const [name, msg] of samples) {
  const bytes = encodeBinMessage(msg);
  const check = decodeBinPacket(bytes);
  if (!check.ok) throw new Error(`${name}: ${check.error.code}`);
  const enc = (): void => { sink += encodeBinMessage(msg).length; };
  const dec = (): void => { const r = decodeBinPacket(bytes); if (r.ok) sink++; };
  measure(enc, 300); // warm-up (JIT)
  measure(dec, 300);
  const e = measure(enc, 1000);
  const d = measure(dec, 1000);
  rows.push([name, String(bytes.length), e.nsPerOp.toFixed(0), Math.round(1e9 / e.nsPerOp).toLocaleString('en-US'),
    d.nsPerOp.toFixed(0), Math.round(1e9 / d.nsPerOp).toLocaleString('en-US'), String(d.ops)]);
}

const head = ['message', 'bytes', 'encode ns/msg', 'encode msg/s', 'decode ns/msg', 'decode msg/s', 'decode iterations'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
console.log(`node ${process.version}, ${process.arch}`);
console.log(line(head));
console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-').padEnd(w + 1, '-') + (i === 0 ? '-' : ':')).join('|')}|`);
for (const r of rows) console.log(line(r));
if (sink === -1) console.log(sink);
