import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { BanList, type BanDetected, type BanListConfig } from './ban-list.ts';
import { BanTable } from './ban-table.ts';
import { FailureDetector } from './failure-detector.ts';
import { counting } from '../../../test/support/counting.ts';

const CFG: BanListConfig = { maxFailures: 3, windowMs: 10_000, banMs: 60_000, action: 'reject', trustedNetworks: ['10.0.0.0/8', '192.0.2.7'] };

function make(peers: string[] = []) {
  const clock = new FakeClock();
  const c = counting();
  const detections: BanDetected[] = [];
  const list = new BanList(CFG, { clock, counters: c.factory, isPeer: (a) => peers.includes(a), onDetected: (d) => detections.push(d), originNodeId: 2 });
  return { clock, list, detections, counters: c.values };
}

describe('FailureDetector', () => {
  test('reports the failure that reaches maxFailures within the window, then starts over', () => {
    const clock = new FakeClock();
    const d = new FailureDetector({ maxFailures: 3, windowMs: 1000 }, clock);
    assert.equal(d.record('1.2.3.4'), false);
    clock.advance(400);
    assert.equal(d.record('1.2.3.4'), false);
    clock.advance(400);
    assert.equal(d.record('1.2.3.4'), true);
    assert.equal(d.count('1.2.3.4'), 0);
  });

  test('failures that slid out of the window do not count', () => {
    const clock = new FakeClock();
    const d = new FailureDetector({ maxFailures: 3, windowMs: 1000 }, clock);
    d.record('1.2.3.4');
    d.record('1.2.3.4');
    clock.advance(1001);
    assert.equal(d.record('1.2.3.4'), false);
    assert.equal(d.count('1.2.3.4'), 1);
    clock.advance(2000);
    d.sweep();
    assert.equal(d.trackedSources, 0);
  });

  test('sources are counted apart and their number is capped', () => {
    const clock = new FakeClock();
    const d = new FailureDetector({ maxFailures: 2, windowMs: 1000, maxTrackedSources: 2 }, clock);
    d.record('a');
    d.record('b');
    d.record('c');
    assert.equal(d.trackedSources, 2);
    assert.equal(d.count('a'), 0, 'the stalest source was forgotten');
    assert.equal(d.record('b'), true);
  });
});

describe('BanTable', () => {
  test('a ban lapses at its expiry; the later expiry wins a merge', () => {
    const clock = new FakeClock();
    const t = new BanTable(clock);
    assert.equal(t.put('1.2.3.4', { reason: 'x', banMs: 1000 }), 'added');
    assert.equal(t.put('1.2.3.4', { reason: 'x', banMs: 500 }), 'kept');
    clock.advance(600);
    assert.ok(t.get('1.2.3.4'));
    assert.equal(t.put('1.2.3.4', { reason: 'y', banMs: 1000 }), 'extended');
    clock.advance(999);
    assert.equal(t.get('1.2.3.4')?.reason, 'y');
    clock.advance(1);
    assert.equal(t.get('1.2.3.4'), undefined);
    assert.equal(t.size, 0);
  });

  test('a full table refuses new bans', () => {
    const t = new BanTable(new FakeClock(), 1);
    t.put('a', { reason: '', banMs: 10 });
    assert.equal(t.put('b', { reason: '', banMs: 10 }), 'full');
  });
});

describe('BanList', () => {
  test('maxFailures failures ban the source, report it once, and count the banned requests', () => {
    const { list, detections, counters } = make();
    assert.equal(list.recordFailure('203.0.113.9', 'friendly-scanner'), undefined);
    assert.equal(list.recordFailure('203.0.113.9', 'friendly-scanner'), undefined);
    const d = list.recordFailure('203.0.113.9', 'friendly-scanner');
    assert.deepEqual(d, { address: '203.0.113.9', userAgent: 'friendly-scanner', banMs: 60_000, failures: 3, reason: 'brute force' });
    assert.equal(detections.length, 1);
    assert.equal(list.recordFailure('203.0.113.9', 'friendly-scanner'), undefined, 'a banned source is not detected again');
    assert.ok(list.check('203.0.113.9'));
    assert.equal(list.check('203.0.113.10'), undefined);
    assert.equal(counters.get('ban:banned_requests'), 1);
    assert.equal(counters.get('ban:detected'), 1);
    assert.equal(counters.get('ban:active'), 1);
    assert.equal(list.list()[0]?.originNodeId, 2);
  });

  test('trusted networks and cluster peers are never banned, locally or by a peer', () => {
    const { list, detections, counters } = make(['198.51.100.1']);
    for (let i = 0; i < 5; i++) list.recordFailure('10.1.2.3', 'x');
    for (let i = 0; i < 5; i++) list.recordFailure('198.51.100.1', 'x');
    assert.equal(detections.length, 0);
    assert.deepEqual(list.ban('192.0.2.7', { reason: 'remote', banMs: 1000 }), { ok: false, code: 'FEATURE_BAN_TRUSTED' });
    assert.deepEqual(list.ban('198.51.100.1', { reason: 'remote', banMs: 1000 }), { ok: false, code: 'FEATURE_BAN_PEER' });
    assert.deepEqual(list.ban('::ffff:10.9.9.9', { reason: 'remote', banMs: 1000 }), { ok: false, code: 'FEATURE_BAN_TRUSTED' });
    assert.deepEqual(list.ban('not-an-ip', { reason: 'remote', banMs: 1000 }), { ok: false, code: 'FEATURE_BAN_INVALID_ADDRESS' });
    assert.equal(counters.get('ban:refused'), 3);
    assert.equal(list.list().length, 0);
  });

  test('remote bans merge (later expiry wins), expire, and can be lifted', () => {
    const { clock, list } = make();
    assert.deepEqual(list.ban('2001:db8::1', { reason: 'remote', banMs: 30_000, originNodeId: 1 }), { ok: true, change: 'added' });
    assert.deepEqual(list.ban('2001:db8::1', { reason: 'remote', banMs: 10_000, originNodeId: 3 }), { ok: true, change: 'kept' });
    clock.advance(5000);
    assert.equal(list.list()[0]?.expiresInMs, 25_000);
    assert.equal(list.unban('2001:db8::1'), true);
    assert.equal(list.unban('2001:db8::1'), false);
    list.ban('203.0.113.1', { reason: 'remote', banMs: 1000 });
    clock.advance(1000);
    assert.equal(list.isBanned('203.0.113.1'), false);
    list.sweep();
    assert.equal(list.list().length, 0);
  });

  test('a bad trusted network is a configuration error', () => {
    assert.throws(() => new BanList({ ...CFG, trustedNetworks: ['10.0.0.0/33'] }, { clock: new FakeClock(), counters: counting().factory, isPeer: () => false }));
  });
});

test('a ban is one address in the form sockets report it; a network, a bad duration, or a differently written IPv6 address is handled', () => {
  const clock = new FakeClock();
  const list = new BanList(CFG, { clock, counters: counting().factory, isPeer: () => false });
  assert.deepEqual(list.ban('203.0.113.0/24', { reason: 'x', banMs: 1000 }), { ok: false, code: 'FEATURE_BAN_INVALID_ADDRESS' }, 'networks are not bans');
  for (const banMs of [Number.NaN, 0, -5, undefined as unknown as number]) {
    assert.deepEqual(list.ban('198.51.100.1', { reason: 'x', banMs }), { ok: false, code: 'FEATURE_BAN_INVALID_DURATION' }, String(banMs));
  }
  assert.equal(list.ban('2001:DB8:0:0::1', { reason: 'x', banMs: 1000 }).ok, true);
  assert.ok(list.check('2001:db8::1') !== undefined, 'the source as the socket reports it is banned');
  assert.equal(list.isBanned('2001:db8:0::1'), true);
  assert.equal(list.unban('2001:0DB8::1'), true);
  assert.equal(list.check('2001:db8::1'), undefined);
});
