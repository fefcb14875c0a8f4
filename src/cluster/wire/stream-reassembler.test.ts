import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scenarioPackets } from '../../../test/support/golden-bin.ts';
import { StreamReassembler } from './stream-reassembler.ts';
import { encodeBinMessage } from './codec.ts';
import { MAX_PACKET_BYTES } from './limits.ts';

/** Golden packets when the vectors are there, else a few built here (the tests still run). */
function samplePackets(): Buffer[] {
  const g = scenarioPackets();
  if (g.length > 0) return g;
  return [
    encodeBinMessage({ kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: true }),
    encodeBinMessage({ kind: 'pong', clusterId: 1, sourceNodeId: 3, knownNodeIds: [1] }),
    encodeBinMessage({ kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 3, isRequest: true, tag: '1-1-x', payload: Buffer.from('hello') }),
  ];
}

function feedAll(r: StreamReassembler, chunks: Buffer[]): { packets: Buffer[]; code: string | undefined } {
  const packets: Buffer[] = [];
  for (const c of chunks) {
    const out = r.feed(c);
    packets.push(...out.packets);
    if (out.error !== undefined) return { packets, code: out.error.code };
  }
  return { packets, code: undefined };
}

test('packets merged in one chunk come out whole, as views (no copy)', () => {
  const pk = samplePackets();
  const stream = Buffer.concat(pk);
  const r = new StreamReassembler();
  const out = r.feed(stream);
  assert.equal(out.error, undefined);
  assert.equal(out.packets.length, pk.length);
  out.packets.forEach((p, i) => assert.deepEqual(p, pk[i]));
  assert.equal(out.packets[0]!.buffer, stream.buffer, 'whole packets inside a chunk are views');
  assert.equal(r.pendingBytes, 0);
});

test('one byte at a time gives the same packets (fragment limit lifted)', () => {
  const pk = samplePackets().slice(0, 60);
  const stream = Buffer.concat(pk);
  const r = new StreamReassembler({ maxChunksPerPacket: 0 });
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
  const { packets, code } = feedAll(r, chunks);
  assert.equal(code, undefined);
  assert.deepEqual(packets, pk);
});

test('random split points give the same packets (fast-check)', () => {
  const pk = samplePackets().slice(0, 40);
  const stream = Buffer.concat(pk);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 400 }), (sizes) => {
      const chunks: Buffer[] = [];
      let at = 0;
      let i = 0;
      while (at < stream.length) {
        const n = sizes[i++ % sizes.length]!;
        chunks.push(stream.subarray(at, at + n));
        at += n;
      }
      const { packets, code } = feedAll(new StreamReassembler({ maxChunksPerPacket: 0 }), chunks);
      assert.equal(code, undefined);
      assert.deepEqual(packets, pk);
    }),
    { numRuns: 300 },
  );
});

test('a packet split across chunks is copied once into its own buffer, never reused', () => {
  const [a, b] = samplePackets();
  const r = new StreamReassembler();
  const first = r.feed(Buffer.concat([a!, b!.subarray(0, 5)]));
  assert.equal(first.packets.length, 1);
  const second = r.feed(b!.subarray(5));
  assert.deepEqual(second.packets[0], b);
  const third = r.feed(Buffer.concat([a!.subarray(0, 3)]));
  assert.equal(third.packets.length, 0);
  assert.deepEqual(second.packets[0], b, 'an earlier packet is not overwritten by later input');
});

test('a bad marker closes the stream at the first wrong byte', () => {
  const r = new StreamReassembler();
  assert.equal(r.feed(Buffer.from('P4')).error, undefined);
  const out = r.feed(Buffer.from('X'));
  assert.equal(out.error?.code, 'CLUSTER_WIRE_BAD_MARKER');
  assert.equal(out.error?.offset, 2);
  assert.equal(r.feed(samplePackets()[0]!).error?.code, 'CLUSTER_WIRE_BAD_MARKER', 'sticky');
});

test('declared lengths below 17 or above 65515 close the stream (proto_bin bin_parse_headers)', () => {
  const head = (len: number): Buffer => {
    const b = Buffer.alloc(8);
    b.write('P4CK', 0, 'latin1');
    b.writeUInt32LE(len, 4);
    return b;
  };
  assert.equal(new StreamReassembler().feed(head(16)).error?.code, 'CLUSTER_WIRE_TOO_SHORT');
  assert.equal(new StreamReassembler().feed(head(MAX_PACKET_BYTES + 1)).error?.code, 'CLUSTER_WIRE_TOO_LONG');
  assert.equal(new StreamReassembler().feed(head(0xffffffff)).error?.code, 'CLUSTER_WIRE_TOO_LONG');
  const r = new StreamReassembler();
  assert.equal(r.feed(head(MAX_PACKET_BYTES)).error, undefined, 'the maximum itself is allowed');
  assert.equal(r.pendingBytes, 8);
  // byte by byte: the length is checked as soon as its 4 bytes are in
  const s = new StreamReassembler({ maxChunksPerPacket: 0 });
  const h = head(3);
  for (let i = 0; i < 7; i++) assert.equal(s.feed(h.subarray(i, i + 1)).error, undefined);
  assert.equal(s.feed(h.subarray(7)).error?.code, 'CLUSTER_WIRE_TOO_SHORT');
});

test('packets before the bad bytes in the same chunk are still delivered', () => {
  const [a] = samplePackets();
  const out = new StreamReassembler().feed(Buffer.concat([a!, Buffer.from('GET / HTTP/1.1\r\n')]));
  assert.deepEqual(out.packets, [a]);
  assert.equal(out.error?.code, 'CLUSTER_WIRE_BAD_MARKER');
  assert.equal(out.error?.offset, a!.length);
});

test('a packet needing 32 reads closes the stream (bin_max_msg_chunks default)', () => {
  const p = samplePackets()[0]!;
  const r = new StreamReassembler();
  let code: string | undefined;
  let reads = 0;
  for (let i = 0; i < p.length && code === undefined; i++, reads++) code = r.feed(p.subarray(i, i + 1)).error?.code;
  assert.equal(code, 'CLUSTER_WIRE_TOO_FRAGMENTED');
  assert.equal(reads, 32);
  const ok = new StreamReassembler();
  const chunks = [];
  for (let i = 0; i < 31; i++) chunks.push(p.subarray(i, i + 1));
  chunks.push(p.subarray(31));
  assert.deepEqual(feedAll(ok, chunks), { packets: [p], code: undefined }, '31 incomplete reads are fine');
});

test('many small chunks cost linear time (no re-concatenation)', () => {
  const big = encodeBinMessage({ kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, isRequest: true, tag: 't', payload: Buffer.alloc(60000, 0x61) });
  const r = new StreamReassembler({ maxChunksPerPacket: 0 });
  let out: Buffer[] = [];
  for (let i = 0; i < big.length; i++) out = out.concat(r.feed(big.subarray(i, i + 1)).packets);
  assert.deepEqual(out, [big]);
});

test('a declared length is not allocated before its bytes come: the buffer grows with them, and the packet is whole at the end', () => {
  // A big generic message, trickled: prefix only, then pieces.
  const big = encodeBinMessage({ kind: 'generic-msg', clusterId: 1, sourceNodeId: 1, destinationNodeId: 3, isRequest: true, tag: '1-1-x', payload: Buffer.alloc(60_000, 0x61) });
  const r = new StreamReassembler({ maxChunksPerPacket: 0 });
  assert.equal(r.feed(big.subarray(0, 8)).packets.length, 0);
  const held = (r as unknown as { packet: Buffer }).packet;
  assert.ok(held.length <= 4096, `${held.length} bytes held for 8 received`);
  const out: Buffer[] = [];
  for (let at = 8; at < big.length; at += 1000) out.push(...r.feed(big.subarray(at, Math.min(big.length, at + 1000))).packets);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], big);
  assert.equal(r.packetsDone, 1);
  assert.equal(r.pendingBytes, 0);
});
