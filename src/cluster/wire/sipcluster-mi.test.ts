/** sipcluster-mi: a fixed packet per type (written out by hand from the layout), round trips, hostile input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBinPacket, encodeBinMessage } from './codec.ts';
import type { MiResultMessage, MiTicketMessage } from './sipcluster-mi.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// 'P4CK', total length, version 1, name length 13, 'sipcluster-mi'
const head = (len: string, type: string): string => `5034434b ${len} 0100 0d00 736970636c75737465722d6d69 ${type}`;

const TICKET: MiTicketMessage = { kind: 'mi-ticket', clusterId: 1, sourceNodeId: 1, destinationNodeId: 3, requestId: 7, command: 'core:uptime', paramsHash: 'abcd0123' };
const TICKET_HEX = `${head('44000000', '01000000')} 07000000 0b00 636f72653a757074696d65 0800 6162636430313233 01000000 01000000 03000000`;

const RESULT: MiResultMessage = { kind: 'mi-result', clusterId: 1, sourceNodeId: 3, destinationNodeId: 1, requestId: 7, status: 'ok', command: 'core:uptime', body: '{"Up":1}' };
const RESULT_HEX = `${head('48000000', '02000000')} 07000000 00000000 0b00 636f72653a757074696d65 0800 7b225570223a317d 01000000 03000000 01000000`;

test('MI_TICKET: fixed bytes decode to the fields and re-encode identically', () => {
  const p = hex(TICKET_HEX);
  assert.equal(p.length, 0x44);
  assert.deepEqual(encodeBinMessage(TICKET), p);
  const d = decodeBinPacket(p);
  assert.ok(d.ok);
  assert.deepEqual(d.value, TICKET);
});

test('MI_RESULT: fixed bytes decode to the fields and re-encode identically', () => {
  const p = hex(RESULT_HEX);
  assert.equal(p.length, 0x48);
  assert.deepEqual(encodeBinMessage(RESULT), p);
  const d = decodeBinPacket(p);
  assert.ok(d.ok);
  assert.deepEqual(d.value, RESULT);
});

test('MI_RESULT round trips every status and UTF-8 bodies', () => {
  for (const status of ['ok', 'refused', 'error'] as const) {
    const m: MiResultMessage = { ...RESULT, status, body: JSON.stringify({ message: 'é ✓', status }) };
    const d = decodeBinPacket(encodeBinMessage(m));
    assert.ok(d.ok);
    assert.deepEqual(d.value, m);
  }
});

test('bad status, unknown type, wrong version and trailing bytes are typed errors', () => {
  const badStatus = hex(RESULT_HEX);
  badStatus.writeInt32LE(9, 0x21);
  const r1 = decodeBinPacket(badStatus);
  assert.ok(!r1.ok && r1.error.code === 'CLUSTER_WIRE_BAD_VALUE', JSON.stringify(r1));
  const badType = hex(TICKET_HEX);
  badType.writeInt32LE(3, 0x19);
  const r2 = decodeBinPacket(badType);
  assert.ok(!r2.ok && r2.error.code === 'CLUSTER_WIRE_UNKNOWN_TYPE');
  const badVersion = hex(TICKET_HEX);
  badVersion.writeInt16LE(2, 8);
  const r3 = decodeBinPacket(badVersion);
  assert.ok(!r3.ok && r3.error.code === 'CLUSTER_WIRE_BAD_VERSION');
  const longer = Buffer.concat([hex(TICKET_HEX).subarray(0, 0x38), Buffer.from([0, 0]), hex(TICKET_HEX).subarray(0x38)]);
  longer.writeUInt32LE(longer.length, 4);
  const r4 = decodeBinPacket(longer);
  assert.ok(!r4.ok && r4.error.code === 'CLUSTER_WIRE_TRAILING_BYTES', JSON.stringify(r4));
});

test('every truncated prefix and random mutations never throw; valid decodes re-encode identically', () => {
  const golden = [hex(TICKET_HEX), hex(RESULT_HEX)];
  for (const p of golden) {
    for (let n = 0; n < p.length; n++) {
      const cut = Buffer.from(p.subarray(0, n));
      if (cut.length >= 8) cut.writeUInt32LE(cut.length, 4);
      const r = decodeBinPacket(cut);
      assert.ok(!r.ok, `prefix ${n} decoded`);
      assert.match(r.error.code, /^CLUSTER_WIRE_/);
    }
  }
  fc.assert(fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (which, edits) => {
    const p = Buffer.from(golden[which] as Buffer);
    for (const [at, v] of edits) p[at % p.length] = v;
    const r = decodeBinPacket(p);
    if (r.ok && r.value.kind !== 'unknown-capability') assert.deepEqual(encodeBinMessage(r.value), p);
  }), { numRuns: 2000 });
});
