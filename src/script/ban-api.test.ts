import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-time.ts';
import { nullCounters } from '../lib/counter.ts';
import { BanList } from '../features/ban-list/index.ts';
import { defineRoutes, type BanDetectedEvent } from './api.ts';
import { banApiOf, NO_BANS } from './ban-api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { ScriptHost } from './script-host.ts';

const registrar = {} as RegistrarPort;
const auth = {} as AuthPort;
const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

test('ctx.bans reaches the node ban list; banDetected gets the detection with an event context', async () => {
  const clock = new FakeClock();
  const list = new BanList({ maxFailures: 2, windowMs: 1000, banMs: 5000, action: 'reject', trustedNetworks: ['10.0.0.0/8'] },
    { clock, counters: nullCounters, isPeer: () => false });
  const bans = banApiOf(list);
  const seen: Array<[BanDetectedEvent, boolean]> = [];
  const host = new ScriptHost(defineRoutes({
    request: () => {},
    banDetected: (ev, ctx) => { seen.push([ev, ctx.bans.isBanned(ev.address)]); },
  }), { registrar, auth, cluster: undefined, logger, bans });
  assert.equal(bans.recordFailure('203.0.113.5', 'sipvicious'), false);
  assert.equal(bans.recordFailure('203.0.113.5', 'sipvicious'), true);
  host.banDetected({ address: '203.0.113.5', userAgent: 'sipvicious', banMs: 5000, failures: 2, reason: 'script' });
  assert.equal(seen[0]?.[1], true);
  assert.equal(bans.ban('10.1.1.1', { banMs: 1000 }), false, 'trusted');
  assert.equal(bans.ban('198.51.100.1', { banMs: 1000, originNodeId: 3, userAgent: 'x' }), true);
  assert.deepEqual(bans.list().map((b) => [b.address, b.expiresInMs, b.originNodeId]), [['203.0.113.5', 5000, undefined], ['198.51.100.1', 1000, 3]]);
  assert.equal(bans.unban('198.51.100.1'), true);
  assert.equal(NO_BANS.ban('198.51.100.1', { banMs: 1 }), false);
  assert.equal(NO_BANS.enabled, false);
});
