import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-time.ts';
import { nullCounters } from '../lib/counter.ts';
import { SharedMaps } from '../features/shared-map/index.ts';
import { defineRoutes, type MapEntryInfo } from './api.ts';
import { mapsApiOf, NO_MAPS } from './map-api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { ScriptHost } from './script-host.ts';

const registrar = {} as RegistrarPort;
const auth = {} as AuthPort;
const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

test('ctx.maps reaches the node\'s maps from event handlers; claim, get, list and release go through', async () => {
  const sent: string[] = [];
  const maps = new SharedMaps([{ name: 'conference', defaultTtlMs: 10_000 }], {
    clock: new FakeClock(), counters: nullCounters, nodeId: 4,
    port: { broadcast: (m) => sent.push(m), reply: () => {}, request: async () => ({ replies: [], complete: true }) },
  });
  const api = mapsApiOf(maps);
  assert.deepEqual(api.names, ['conference']);
  assert.equal(api.get('conference'), api.get('conference'), 'one facade per map');
  const seen: MapEntryInfo[] = [];
  const host = new ScriptHost(defineRoutes({
    request: () => {},
    nodeStateChanged: async (_ev, ctx) => { seen.push(await ctx.maps.get('conference').claim('conf-1', 'sip:me')); },
  }), { registrar, auth, cluster: undefined, logger, maps: api });
  host.nodeStateChanged({ clusterId: 1, nodeId: 2, state: 'up' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, [{ key: 'conf-1', value: 'sip:me', ownerNodeId: 4, mine: true, expiresInMs: 10_000 }]);
  assert.equal(api.get('conference').get('conf-1')?.mine, true);
  assert.equal(api.get('conference').list().length, 1);
  assert.equal(api.get('conference').release('conf-1'), true);
  assert.deepEqual(sent.map((m) => m.split(':').slice(0, 4).join(':')), ['MAP:conference:SET:conf-1', 'MAP:conference:DEL:conf-1']);
  assert.throws(() => api.get('rooms'), { code: 'SCRIPT_NO_MAP' });
  assert.throws(() => NO_MAPS.get('conference'), { code: 'SCRIPT_NO_MAP' });
  assert.deepEqual(NO_MAPS.names, []);
});
