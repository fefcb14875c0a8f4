import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteSlabs } from './byte-slabs.ts';

test('ByteSlabs.keep: an equal copy that shares no memory with the source', () => {
  const big = Buffer.alloc(64 * 1024, 0x41);
  const view = big.subarray(100, 400);
  const slabs = new ByteSlabs(4096);
  const kept = slabs.keep(view);
  assert.deepEqual(kept, view);
  assert.notEqual(kept.buffer, big.buffer, 'not a view of the source store');
  big.fill(0x42);
  assert.equal(kept[0], 0x41, 'later writes to the source do not show');
});

test('ByteSlabs.keep: small copies share a slab until it is full, aligned; large ones get their own store', () => {
  const slabs = new ByteSlabs(1024);
  const a = slabs.keep(Buffer.from('abc'));
  const b = slabs.keep(Buffer.from('defgh'));
  assert.equal(a.buffer, b.buffer, 'same slab');
  assert.equal(b.byteOffset - a.byteOffset, 8, 'next copy starts 8-aligned');
  assert.equal(a.toString(), 'abc');
  assert.equal(b.toString(), 'defgh');
  const fill: Buffer[] = [];
  for (let i = 0; i < 10; i++) fill.push(slabs.keep(Buffer.alloc(100, i)));
  assert.notEqual(fill[9]?.buffer, a.buffer, 'a full slab is replaced by a new one');
  for (let i = 0; i < 10; i++) assert.ok(fill[i]?.every((x) => x === i), `copy ${i} intact`);
  const large = slabs.keep(Buffer.alloc(200, 7));
  assert.equal(large.byteLength, 200);
  assert.equal(large.buffer.byteLength, 200, 'above 1/8 of a slab: its own store');
  assert.equal(slabs.keep(Buffer.alloc(0)).length, 0);
});
