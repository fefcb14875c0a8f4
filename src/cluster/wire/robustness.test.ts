/**
 * Hostile input never throws: every truncated prefix of every golden packet, and random mutations
 * of them (fast-check), give a typed CLUSTER_WIRE_* error or a valid decode. A valid decode must
 * re-encode to the very bytes it came from (so no field is silently dropped or normalised).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goldenPackets, scenarioPackets } from '../../../test/support/golden-bin.ts';
import { skipWithoutVectors } from '../../../test/support/vectors.ts';
import { decodeBinPacket, encodeBinMessage } from './codec.ts';
import { decodeUsrlocSyncChunk, encodeUsrlocSyncChunk } from './usrloc-sync.ts';

const skip = skipWithoutVectors('opensips-bin');

/** Decodes and checks the contract; returns the error code or 'ok'. */
function probe(bytes: Buffer): string {
  let r;
  try {
    r = decodeBinPacket(bytes);
  } catch (e) {
    assert.fail(`decode threw on ${bytes.toString('hex')}: ${String(e)}`);
  }
  if (!r.ok) {
    assert.match(r.error.code, /^CLUSTER_WIRE_[A-Z_]+$/);
    return r.error.code;
  }
  if (r.value.kind === 'unknown-capability') return 'unknown-capability';
  assert.deepEqual(encodeBinMessage(r.value), bytes, 'a packet that decodes must re-encode identically');
  if (r.value.kind === 'sync') {
    for (const c of r.value.chunks) {
      const rec = decodeUsrlocSyncChunk(c);
      if (rec.ok) assert.deepEqual(encodeUsrlocSyncChunk(rec.value), c);
    }
  }
  return 'ok';
}

function withLength(b: Buffer): Buffer {
  const c = Buffer.from(b);
  if (c.length >= 8) c.writeUInt32LE(c.length, 4);
  return c;
}

test('every truncated prefix of every golden packet is a typed error (as sent, and with the length patched)', { skip }, () => {
  const codes = new Map<string, number>();
  let probes = 0;
  for (const p of scenarioPackets()) {
    for (let n = 0; n < p.length; n++) {
      const prefix = p.subarray(0, n);
      const a = probe(prefix);
      assert.notEqual(a, 'ok', 'a prefix with the original length field cannot decode');
      const b = probe(withLength(prefix));
      codes.set(b, (codes.get(b) ?? 0) + 1);
      probes += 2;
    }
  }
  console.log(`# ${probes} truncated prefixes; with patched length: ${JSON.stringify(Object.fromEntries(codes))}`);
});

test('random mutations of golden packets never throw (fast-check)', { skip }, () => {
  const packets = goldenPackets('04-node3-crash-restart-sync.pcap').concat(goldenPackets('02-usrloc-replication.pcap'), goldenPackets('03-generic-msg-bcast-send.pcap'));
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('i32' as const), at: fc.nat(), value: fc.integer({ min: -0x80000000, max: 0x7fffffff }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean(), (pick, muts, patchLength) => {
      let b = Buffer.from(packets[pick % packets.length]!);
      for (const m of muts) {
        const at = b.length === 0 ? 0 : m.at % b.length;
        if (m.op === 'set' && b.length > 0) b[at] = m.value;
        else if (m.op === 'i32' && b.length >= 4) b.writeInt32LE(m.value, Math.min(at, b.length - 4));
        else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.value]), b.subarray(at)]);
        else if (m.op === 'delete' && b.length > 0) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      }
      probe(patchLength ? withLength(b) : b);
    }),
    { numRuns: 20000 },
  );
});

test('random bytes behind a valid header never throw (fast-check)', () => {
  const caps = ['clusterer-internal', 'clusterer-extra', 'usrloc-contact-repl', 'x'];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 200 }), (ci, type, version, body) => {
      const name = Buffer.from(caps[ci]!, 'latin1');
      const head = Buffer.alloc(16 + name.length);
      head.write('P4CK', 0, 'latin1');
      head.writeInt16LE(version, 8);
      head.writeUInt16LE(name.length, 10);
      name.copy(head, 12);
      head.writeInt32LE(type, 12 + name.length);
      probe(withLength(Buffer.concat([head, Buffer.from(body)])));
    }),
    { numRuns: 20000 },
  );
});
