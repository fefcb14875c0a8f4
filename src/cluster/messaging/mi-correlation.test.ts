import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { MAX_TICKETS_PER_SOURCE, MiPendingTable, MiTicketBox, miParamsHash, TICKET_TTL_MS, type MiOutcome } from './mi-correlation.ts';

test('params hash: stable, 8 hex chars, separates command/param boundaries', () => {
  assert.equal(miParamsHash('core:uptime', []), miParamsHash('core:uptime', []));
  assert.match(miParamsHash('a', ['b']), /^[0-9a-f]{8}$/);
  assert.notEqual(miParamsHash('a', ['bc']), miParamsHash('a', ['b', 'c']));
  assert.notEqual(miParamsHash('ab', []), miParamsHash('a', ['b']));
});

test('ticket box pairs an MI_CMD with the oldest matching ticket of the same source', () => {
  const clock = new FakeClock();
  const box = new MiTicketBox(clock);
  box.add(1, { requestId: 10, command: 'core:uptime', paramsHash: miParamsHash('core:uptime', []) });
  box.add(1, { requestId: 11, command: 'ul_dump', paramsHash: miParamsHash('ul_dump', ['x']) });
  box.add(1, { requestId: 12, command: 'core:uptime', paramsHash: miParamsHash('core:uptime', []) });
  assert.equal(box.take(2, 'core:uptime', []), undefined, 'another source has no ticket');
  assert.equal(box.take(1, 'ul_dump', ['y']), undefined, 'other params do not match');
  assert.equal(box.take(1, 'core:uptime', []), 10);
  assert.equal(box.take(1, 'ul_dump', ['x']), 11);
  assert.equal(box.take(1, 'core:uptime', []), 12);
  assert.equal(box.take(1, 'core:uptime', []), undefined, 'an MI_CMD without a ticket came from OpenSIPS');
});

test('tickets expire and are bounded per source', () => {
  const clock = new FakeClock();
  const box = new MiTicketBox(clock);
  box.add(1, { requestId: 1, command: 'c', paramsHash: miParamsHash('c', []) });
  clock.advance(TICKET_TTL_MS + 1);
  assert.equal(box.take(1, 'c', []), undefined);
  for (let i = 0; i < MAX_TICKETS_PER_SOURCE; i++) assert.equal(box.add(1, { requestId: i + 1, command: 'c', paramsHash: miParamsHash('c', []) }), true);
  assert.equal(box.add(1, { requestId: 999, command: 'c', paramsHash: miParamsHash('c', []) }), false);
  assert.equal(box.take(1, 'c', []), 2, 'the oldest was dropped');
});

test('pending table: result resolves, wrong node / id / command do not, timeout and node-down end the wait', async () => {
  const clock = new FakeClock();
  const t = new MiPendingTable(clock);
  const a = t.nextId();
  const b = t.nextId();
  const c = t.nextId();
  assert.notEqual(a, b);
  const pa = t.wait(3, a, 'core:uptime', 2000) as Promise<MiOutcome>;
  const pb = t.wait(2, b, 'core:uptime', 2000) as Promise<MiOutcome>;
  const pc = t.wait(2, c, 'core:uptime', 2000) as Promise<MiOutcome>;
  assert.equal(t.resolve(2, a, 'core:uptime', { kind: 'result', status: 'ok', body: '1' }), false, 'answer from the wrong node');
  assert.equal(t.resolve(3, a, 'core:version', { kind: 'result', status: 'ok', body: '1' }), false, 'answer for another command');
  assert.equal(t.resolve(3, a, 'core:uptime', { kind: 'result', status: 'ok', body: '{"Up":1}' }), true);
  assert.deepEqual(await pa, { kind: 'result', status: 'ok', body: '{"Up":1}' });
  assert.equal(t.resolve(3, a, 'core:uptime', { kind: 'result', status: 'ok', body: '1' }), false, 'a duplicate is ignored');
  t.nodeDown(2);
  assert.deepEqual(await pb, { kind: 'node-down' });
  assert.deepEqual(await pc, { kind: 'node-down' });
  const d = t.nextId();
  const pd = t.wait(3, d, 'x', 2000) as Promise<MiOutcome>;
  clock.advance(1999);
  assert.equal(t.size, 1);
  clock.advance(1);
  assert.deepEqual(await pd, { kind: 'timeout' });
  assert.equal(t.size, 0);
  assert.equal(t.resolve(3, d, 'x', { kind: 'result', status: 'ok', body: '1' }), false, 'a late result is dropped');
});
