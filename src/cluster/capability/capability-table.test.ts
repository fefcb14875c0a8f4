import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../lib/ids.ts';
import { CapabilityTable } from './capability-table.ts';

const UL = 'usrloc-contact-repl';
const n = nodeId;

test('handle_cap_update: applies other nodes\' states, skips entries about ourselves (vectors 04 #27)', () => {
  const t = new CapabilityTable(n(2));
  const r = t.apply([
    { nodeId: n(3), caps: [{ name: UL, ok: false }] },
    { nodeId: n(2), caps: [{ name: UL, ok: true }] },
  ], () => true);
  assert.deepEqual(r, { kind: 'applied', changes: [{ nodeId: 3, name: UL, ok: false }] });
  assert.ok(t.hasCapability(n(3), UL));
  assert.ok(!t.hasCapability(n(2), UL));
});

test('handle_cap_update: an unknown node id stops processing (and the caller does not flood)', () => {
  const t = new CapabilityTable(n(1));
  const r = t.apply([{ nodeId: n(9), caps: [{ name: UL, ok: true }] }], (id) => id !== 9);
  assert.equal(r.kind, 'unknown-node');
});

test('no seq check on CAP_UPDATE: a restarted node\'s seq 0 update replaces what we knew (vectors 04 #26)', () => {
  const t = new CapabilityTable(n(1));
  t.apply([{ nodeId: n(3), caps: [{ name: UL, ok: true }] }], () => true);
  assert.deepEqual(t.donors(UL), [3]);
  t.apply([{ nodeId: n(3), caps: [{ name: UL, ok: false }] }], () => true);
  assert.deepEqual(t.donors(UL), []);
});

test('a node turning OK for a capability we still need to sync is offered to the sync seam as a donor', () => {
  const t = new CapabilityTable(n(3));
  const offered: Array<[string, number]> = [];
  t.setSyncSeam({ onDonorAvailable: (c, d) => offered.push([c, d]) });
  t.registerLocal(UL);
  t.apply([{ nodeId: n(2), caps: [{ name: UL, ok: true }] }], () => true);
  assert.deepEqual(offered, [[UL, 2]]);
});

test('send_cap_update content: ourselves first, then every known node; MI list_cap shape', () => {
  const t = new CapabilityTable(n(1));
  t.registerLocal(UL);
  assert.deepEqual(t.miList(), [{ name: UL, state: 'not synced', enabled: 'yes' }]);
  assert.equal(t.setLocalSynced(UL, true), true);
  assert.equal(t.setLocalSynced(UL, true), false);
  t.apply([{ nodeId: n(2), caps: [{ name: UL, ok: true }] }], () => true);
  const u = t.build(100);
  assert.deepEqual(u.entries.map((e) => e.nodeId), [1, 2]);
  assert.deepEqual(t.miList(), [{ name: UL, state: 'Ok', enabled: 'yes' }]);
});

test('a node\'s capability names are bounded as the wire bounds them (64): a stream of new names cannot grow the table', () => {
  const t = new CapabilityTable(n(1));
  for (let i = 0; i < 1000; i++) t.apply([{ nodeId: n(2), caps: [{ name: `cap-${i}`, ok: true }] }], () => true);
  const entries = t.build(0).entries.find((e) => e.nodeId === 2);
  assert.equal(entries?.caps.length, 64);
  assert.ok(t.hasCapability(n(2), 'cap-0') && !t.hasCapability(n(2), 'cap-64'));
  // Known names still change state.
  t.apply([{ nodeId: n(2), caps: [{ name: 'cap-0', ok: false }] }], () => true);
  assert.equal(t.build(1).entries.find((e) => e.nodeId === 2)?.caps.find((c) => c.name === 'cap-0')?.ok, false);
});

test('set_cap_status: disabled is "not synced", advertised so, no donor offered and no sync taken; enabled again, OK if it has nothing to sync', () => {
  const t = new CapabilityTable(n(1));
  const offered: Array<[string, number]> = [];
  t.setSyncSeam({ onDonorAvailable: (c, d) => offered.push([c, d]) });
  t.registerLocal('sipcluster-mi', true);
  t.registerLocal(UL);
  assert.equal(t.setLocalEnabled('nope', false), 'unknown-capability');
  assert.equal(t.setLocalEnabled('sipcluster-mi', false), 'changed');
  assert.equal(t.setLocalEnabled('sipcluster-mi', false), 'unchanged');
  assert.equal(t.setLocalEnabled(UL, false), 'changed');
  assert.ok(t.isLocalDisabled(UL) && !t.isLocalDisabled('nope'));
  assert.deepEqual(t.miList(), [
    { name: 'sipcluster-mi', state: 'not synced', enabled: 'no' }, { name: UL, state: 'not synced', enabled: 'no' },
  ]);
  assert.deepEqual(t.build(0).entries[0]?.caps, [{ name: 'sipcluster-mi', ok: false }, { name: UL, ok: false }]);
  t.apply([{ nodeId: n(2), caps: [{ name: UL, ok: true }] }], () => true);
  assert.deepEqual(offered, [], 'a disabled capability asks no donor for a sync');
  assert.equal(t.setLocalSynced(UL, true), false, 'nor takes one');
  assert.equal(t.setLocalEnabled('sipcluster-mi', true), 'changed');
  assert.equal(t.setLocalEnabled(UL, true), 'changed');
  assert.deepEqual(t.miList().map((c) => [c.name, c.state, c.enabled]), [['sipcluster-mi', 'Ok', 'yes'], [UL, 'not synced', 'yes']]);
  assert.deepEqual(offered, [[UL, 2]], 'enabled again, it is offered the donors known now');
});
