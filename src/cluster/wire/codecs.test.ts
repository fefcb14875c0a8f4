/** Field-level checks against the README's annotated packets (work without the vectors folder). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBinPacket, encodeBinMessage } from './codec.ts';
import { forwardFlooded } from './topology-updates.ts';
import { withDestination } from './routing-trailer.ts';
import { decodeUsrlocSyncChunk } from './usrloc-sync.ts';
import type { CapUpdateMessage, MiCmdMessage } from './messages.ts';
import { MAX_PATH_LENGTH } from './limits.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const INTERNAL = '50344 34b'.replace(' ', '');

test('PING 01 #1 (README example 1) decodes and re-encodes', () => {
  const p = hex(`${INTERNAL}2e000000 0100 1200 636c757374657265722d696e7465726e616c 00000000 01000000 02000000 01000000`);
  const d = decodeBinPacket(p);
  assert.ok(d.ok);
  assert.deepEqual(d.value, { kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: true });
  assert.deepEqual(encodeBinMessage(d.value), p);
});

test('LS_UPDATE 04 #5 (README example 6): node 3 down, path [2]', () => {
  const p = hex(`${INTERNAL}42000000 0100 1200 636c757374657265722d696e7465726e616c 02000000 01000000 02000000 01000000 b91b076b 03000000 01000000 01000000 02000000`);
  const d = decodeBinPacket(p);
  assert.ok(d.ok && d.value.kind === 'ls-update');
  assert.equal(d.value.timestampS, 1795627961);
  assert.equal(d.value.linkState, 'down');
  assert.deepEqual(d.value.path, [2]);
});

test('usrloc sync chunk (README example 10) keeps native values exact', () => {
  const chunk = hex(`01000000 0800 6c6f636174696f6e 0f00 616c696365403132372e302e302e31
    1900 7369703a616c696365403132372e302e302e313a3430303031 0800 5900000000c01f2b
    0b00 616c6963652d6369642d31 0a00 6c61622d73656e646572 0000 0000 0000 0000
    0800 b122076b00000000 0400 ffffffff 0000 02000000 00000000 0000 ffffffff
    0800 a91b076b00000000 0000 01000000`);
  const r = decodeUsrlocSyncChunk(chunk);
  assert.ok(r.ok && r.value.kind === 'ucontact');
  assert.equal(r.value.contactId, 3107413374141464665n);
  assert.equal(r.value.expiresS, 1795629745n);
  assert.equal(r.value.q, -1);
  assert.equal(r.value.methods, 0xffffffff);
  assert.equal(r.value.lastModifiedS, 1795627945n);
  assert.deepEqual(r.value.contactMatch, { mode: 1, params: [] });
});

test('forwarding a CAP_UPDATE appends the forwarder and clears require_reply (04 #27)', () => {
  const original: CapUpdateMessage = {
    kind: 'cap-update', clusterId: 1, sourceNodeId: 3, capSeqNo: 0, timestampS: 1795627979,
    nodes: [{ nodeId: 3, capabilities: [{ name: 'usrloc-contact-repl', synced: false }] }], requireReply: true, path: [3],
  };
  const fwd = forwardFlooded(original, 1)!;
  assert.deepEqual(fwd.path, [3, 1]);
  assert.equal(fwd.requireReply, false);
  assert.equal(encodeBinMessage(fwd).length, encodeBinMessage(original).length + 4);
  const full = { ...original, path: Array.from({ length: MAX_PATH_LENGTH }, (_, i) => i + 1) };
  assert.equal(forwardFlooded(full, 99), undefined);
});

test('MI_CMD over 15 params is refused (OpenSIPS would overflow its array)', () => {
  const msg: MiCmdMessage = { kind: 'mi-cmd', clusterId: 1, sourceNodeId: 1, destinationNodeId: 2, command: 'ul_dump', params: ['a'] };
  const p = encodeBinMessage(msg);
  const d = decodeBinPacket(p);
  assert.ok(d.ok);
  assert.deepEqual(d.value, msg);
  const bad = Buffer.from(p);
  bad.writeInt32LE(16, p.length - 12 - 3 - 4); // no_params before the one 1-byte param and the trailer
  const r = decodeBinPacket(bad);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'CLUSTER_WIRE_COUNT_LIMIT');
  assert.throws(() => encodeBinMessage({ ...msg, params: new Array<string>(16).fill('x') }), /CLUSTER_WIRE|above/);
});

test('routed messages: trailer, bridge variant and destination rewrite', () => {
  const base = { clusterId: 1, sourceNodeId: 2, destinationNodeId: -1 } as const;
  const p = encodeBinMessage({ kind: 'shtag-active', ...base, tagName: 'vip' });
  const re = withDestination(p, 3);
  const d = decodeBinPacket(re);
  assert.ok(d.ok && d.value.kind === 'shtag-active');
  assert.equal(d.value.destinationNodeId, 3);
  const bridged = encodeBinMessage({ kind: 'remove-node', clusterId: 1, sourceNodeId: 2, destinationNodeId: 0xc0000000 | 0, bridgeSourceClusterId: 7, targetNodeId: 4 });
  const b = decodeBinPacket(bridged);
  assert.ok(b.ok && b.value.kind === 'remove-node');
  assert.equal(b.value.bridgeSourceClusterId, 7);
  assert.equal(b.value.targetNodeId, 4);
});

test('unknown capability is a result, not an error; unknown type is an error', () => {
  const p = Buffer.from(encodeBinMessage({ kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: false }));
  p.write('X', 12, 'latin1');
  const d = decodeBinPacket(p);
  assert.ok(d.ok && d.value.kind === 'unknown-capability');
  assert.equal(d.value.capability, 'Xlusterer-internal');
  const t = Buffer.from(encodeBinMessage({ kind: 'ping', clusterId: 1, sourceNodeId: 2, requestNodeList: false }));
  t.writeInt32LE(42, 30);
  const e = decodeBinPacket(t);
  assert.ok(!e.ok);
  assert.equal(e.error.code, 'CLUSTER_WIRE_UNKNOWN_TYPE');
});
