import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';

test('writer and reader agree on little-endian layouts', () => {
  const w = new ByteWriter(16);
  w.i32(-2).u32(0xffffffff).i16(-3).u16(65535).str('héllo').str(Buffer.from([1, 2])).i64(-5n).u64(2n ** 64n - 1n);
  const b = w.finish();
  assert.equal(b.subarray(0, 4).toString('hex'), 'feffffff');
  const r = new ByteReader(b);
  assert.equal(r.i32(), -2);
  assert.equal(r.u32(), 0xffffffff);
  assert.equal(r.i16(), -3);
  assert.equal(r.u16(), 65535);
  assert.equal(r.str().toString('utf8'), 'héllo');
  assert.deepEqual([...r.str()], [1, 2]);
  assert.equal(r.i64(), -5n);
  assert.equal(r.u64(), 2n ** 64n - 1n);
  assert.ok(r.done);
});

test('a short read fails sticky: neutral values, no movement, first failure kept', () => {
  const r = new ByteReader(Buffer.from([1, 0, 0]));
  assert.equal(r.i32(), 0);
  assert.ok(r.failed);
  assert.deepEqual(r.error, { reason: 'truncated', offset: 0, wanted: 4, available: 3 });
  assert.equal(r.u16(), 0, 'later reads return neutral values even when they would fit');
  assert.equal(r.offset, 0);
});

test('a str length is checked against the limit and the bytes left before taking bytes', () => {
  const b = Buffer.from([5, 0, 1, 2]);
  const r = new ByteReader(b);
  assert.equal(r.str().length, 0);
  assert.equal(r.error?.reason, 'truncated');
  const r2 = new ByteReader(Buffer.from([3, 0, 1, 2, 3]));
  r2.str(2);
  assert.deepEqual(r2.error, { reason: 'too-long', offset: 0, wanted: 3, available: 2 });
});

test('a window limits reads to [start, end)', () => {
  const r = new ByteReader(Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]), 0, 4);
  assert.equal(r.i32(), 1);
  assert.equal(r.i32(), 0);
  assert.ok(r.failed);
});

test('the writer grows by doubling and patches lengths', () => {
  const w = new ByteWriter(16);
  w.u32(0);
  for (let i = 0; i < 1000; i++) w.u16(i);
  w.patchU32(0, w.length);
  const b = w.finish();
  assert.equal(b.length, 2004);
  assert.equal(b.readUInt32LE(0), 2004);
  assert.throws(() => new ByteWriter().str(Buffer.alloc(70000)), RangeError);
});
