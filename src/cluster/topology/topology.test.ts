import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../lib/ids.ts';
import type { NodeId } from '../../lib/ids.ts';
import { judgeUpdate, NO_SEQ } from './seq-rules.ts';
import { NodeDirectory } from './node-directory.ts';
import type { NodeDescription } from './node-directory.ts';
import { LinkStateDb } from './link-state-db.ts';
import { floodDecision } from './flooding.ts';
import { MAX_PATH_LENGTH } from '../wire/index.ts';

const n = (x: number): NodeId => nodeId(x);
const desc = (id: number, priority = 3): NodeDescription => ({ url: `bin:127.0.0.1:557${id}`, sipAddr: '', priority, noPingRetries: 3 });

function db(self = 1, known: number[] = []): { db: LinkStateDb; dir: NodeDirectory } {
  const dir = new NodeDirectory(n(self), desc(self));
  for (const k of known) dir.configure(n(k), desc(k));
  return { db: new LinkStateDb(n(self), dir), dir };
}

test('validate_update: a higher seq is newer, a lower one with an older timestamp is stale', () => {
  assert.equal(judgeUpdate({ seq: 3, timestamp: 100 }, { seq: 4, timestamp: 100 }), 'newer');
  assert.equal(judgeUpdate({ seq: 3, timestamp: 100 }, { seq: 3, timestamp: 100 }), 'stale');
  assert.equal(judgeUpdate({ seq: 3, timestamp: 100 }, { seq: 2, timestamp: 99 }), 'stale');
  assert.equal(judgeUpdate(NO_SEQ, { seq: 0, timestamp: 5 }), 'newer');
});

test('validate_update: seq 0 is a restart unless it duplicates a stored seq 0 (vectors 04 #26: restarted node 3 sends cap seq 0)', () => {
  assert.equal(judgeUpdate({ seq: 7, timestamp: 100 }, { seq: 0, timestamp: 150 }), 'restart');
  assert.equal(judgeUpdate({ seq: 0, timestamp: 100 }, { seq: 0, timestamp: 100 }), 'stale');
  assert.equal(judgeUpdate({ seq: 0, timestamp: 100 }, { seq: 0, timestamp: 101 }), 'newer');
});

test('a late copy of a node\'s first update (seq 0, same timestamp) does not rewind a newer stamp (sim: 12-node flood storm)', () => {
  assert.equal(judgeUpdate({ seq: 2, timestamp: 100 }, { seq: 0, timestamp: 100 }), 'stale');
});

test('restart detection survives a lost first message: lower seq with a newer timestamp is a restart', () => {
  assert.equal(judgeUpdate({ seq: 7, timestamp: 100 }, { seq: 1, timestamp: 160 }), 'restart');
});

test('handle_ls_update: applies a newer update, drops a replayed one, and reports updates about ourselves', () => {
  const { db: t } = db(1, [2, 3]);
  assert.equal(t.applyLsUpdate(n(2), { seq: 0, timestamp: 10 }, n(3), 'up').verdict, 'newer');
  assert.deepEqual(t.neighborsOf(n(2)), [3]);
  assert.equal(t.applyLsUpdate(n(2), { seq: 0, timestamp: 10 }, n(3), 'down').verdict, 'stale');
  assert.deepEqual(t.neighborsOf(n(2)), [3]);
  assert.deepEqual(t.applyLsUpdate(n(2), { seq: 1, timestamp: 11 }, n(1), 'down'), { verdict: 'newer', aboutSelf: 'down' });
  assert.equal(t.applyLsUpdate(n(2), { seq: 2, timestamp: 11 }, n(9), 'up').unknown, true);
});

test('own links: each change yields one LS_UPDATE with the next seq, starting at 0 (vectors 01 #24, 04 #5)', () => {
  const { db: t } = db(1, [2, 3]);
  assert.deepEqual(t.setOwnLink(n(3), 'up', 50), { seq: 0, timestamp: 50, neighbor: 3, state: 'up' });
  assert.equal(t.setOwnLink(n(3), 'up', 51), undefined);
  assert.equal(t.setOwnLink(n(3), 'down', 52)?.seq, 1);
});

test('send_full_top_update: ourselves first, the receiver left out, descriptions only for nodes it did not list (vectors 01 #25)', () => {
  const { db: t } = db(1, [2, 3]);
  t.setOwnLink(n(2), 'up', 1);
  t.setOwnLink(n(3), 'up', 2);
  const top = t.buildFullTop(n(3), [], 3);
  assert.equal(top.seq, 0);
  assert.deepEqual(top.entries.map((e) => e.nodeId), [1, 2]);
  assert.deepEqual(top.entries[0]?.neighbors, [3, 2]);
  assert.ok(top.entries[1]?.description);
  assert.equal(t.buildFullTop(n(3), [n(2)], 4).entries[1]?.description, undefined);
});

test('handle_full_top_update: learns described nodes, ignores undescribed unknown ones, restarts pinging nodes that list us', () => {
  const { db: t, dir } = db(3, [1]);
  const res = t.applyFullTop(n(1), { seq: 1, timestamp: 9 }, [
    { nodeId: n(1), ls: { seq: 0, timestamp: 9 }, neighbors: [n(3), n(2)] },
    { nodeId: n(2), description: desc(2), ls: NO_SEQ, neighbors: [n(3)] },
    { nodeId: n(7), ls: NO_SEQ, neighbors: [] },
  ], () => false);
  assert.equal(res.verdict, 'newer');
  assert.deepEqual(res.added, [2]);
  assert.ok(!dir.has(n(7)));
  // node 2's entry carries ls_seq -1 (no LS_UPDATE from it yet): validate_update rejects it, so
  // only the source's own entry (never validated) says "I have a link with you".
  assert.deepEqual(res.restartPinging, [1]);
  // the edge 1 → us is kept for clusterer_list_topology (vectors: every node lists its Up neighbors)
  assert.deepEqual(t.neighborsOf(n(1)), [2, 3]);
  assert.equal(t.applyFullTop(n(1), { seq: 1, timestamp: 9 }, [], () => false).verdict, 'stale');
});

test('handle_full_top_update: links missing from an entry are removed, except the entry node\'s link to the source', () => {
  const { db: t } = db(1, [2, 3, 4]);
  t.applyLsUpdate(n(3), { seq: 0, timestamp: 1 }, n(4), 'up');
  t.applyLsUpdate(n(3), { seq: 1, timestamp: 1 }, n(2), 'up');
  t.applyFullTop(n(2), { seq: 0, timestamp: 2 }, [
    { nodeId: n(2), ls: { seq: 0, timestamp: 2 }, neighbors: [n(3)] },
    { nodeId: n(3), ls: { seq: 2, timestamp: 2 }, neighbors: [] },
  ], () => true);
  assert.deepEqual(t.neighborsOf(n(3)), [2]);
});

test('next hop: a direct Up neighbor is its own next hop; with the direct link cut traffic goes through a third node', () => {
  const { db: t } = db(1, [2, 3]);
  t.setOwnLink(n(2), 'up', 1);
  t.setOwnLink(n(3), 'up', 1);
  t.applyLsUpdate(n(2), { seq: 0, timestamp: 1 }, n(3), 'up');
  assert.equal(t.nextHop(n(3)), 3);
  t.setOwnLink(n(3), 'down', 2);
  assert.equal(t.nextHop(n(3)), 2);
  assert.equal(t.nextHop(n(1)), undefined, 'never routes to itself');
});

test('next hop: among equally short paths the lower priority value wins (prio_enqueue), then the lower id', () => {
  const { db: t, dir } = db(1, []);
  dir.configure(n(2), desc(2, 5));
  dir.configure(n(3), desc(3, 1));
  dir.configure(n(4), desc(4));
  t.setOwnLink(n(2), 'up', 1);
  t.setOwnLink(n(3), 'up', 1);
  t.applyLsUpdate(n(2), { seq: 0, timestamp: 1 }, n(4), 'up');
  t.applyLsUpdate(n(3), { seq: 0, timestamp: 1 }, n(4), 'up');
  assert.equal(t.nextHop(n(4)), 3);
});

test('a node is up while any path reaches it; losing the last path is one down event and resets its seq stamps', () => {
  const { db: t } = db(1, [2, 3]);
  t.setOwnLink(n(2), 'up', 1);
  t.applyLsUpdate(n(2), { seq: 5, timestamp: 1 }, n(3), 'up');
  assert.deepEqual(t.takeReachabilityChanges().sort((a, b) => a.nodeId - b.nodeId), [{ nodeId: 2, reachable: true }, { nodeId: 3, reachable: true }]);
  t.setOwnLink(n(2), 'down', 2);
  assert.deepEqual(t.takeReachabilityChanges().map((c) => c.reachable), [false, false]);
  assert.deepEqual(t.takeReachabilityChanges(), []);
  // node 2 restarted and its seq-0 update was lost: seq 1 with an equal timestamp is now accepted
  assert.equal(t.applyLsUpdate(n(2), { seq: 1, timestamp: 1 }, n(3), 'up').verdict, 'newer');
});

test('flood_message: forwards to Up neighbors not on the path, appending ourselves (vectors 01 #17: path [3,1])', () => {
  assert.deepEqual(floodDecision(n(1), [n(3)], [n(3), n(2)]), { kind: 'forward', path: [3, 1], to: [2] });
  assert.deepEqual(floodDecision(n(1), [n(3), n(2)], [n(3), n(2)]), { kind: 'drop', reason: 'no-target' });
  assert.deepEqual(floodDecision(n(1), [n(3), n(1)], [n(2)]), { kind: 'drop', reason: 'loop' });
  const longPath = Array.from({ length: MAX_PATH_LENGTH }, (_, i) => n(i + 10));
  assert.deepEqual(floodDecision(n(1), longPath, [n(2)]), { kind: 'drop', reason: 'path-too-long' });
});

test('node-id collision: a second URL for a known id is reported, never adopted, so the table does not flip-flop', () => {
  const dir = new NodeDirectory(n(1), desc(1));
  assert.equal(dir.learn(n(2), desc(2)).kind, 'added');
  const clash = { ...desc(2), url: 'bin:10.0.0.9:5572' };
  for (let i = 0; i < 3; i++) {
    assert.equal(dir.learn(n(2), clash).kind, 'collision');
    assert.equal(dir.learn(n(2), desc(2)).kind, 'known');
  }
  assert.equal(dir.get(n(2))?.description.url, desc(2).url);
  assert.equal(dir.collisionReports().length, 1);
  assert.equal(dir.learn(n(1), clash).kind, 'collision', 'someone else claiming our own id');
});

test('the directory is bounded: at MAX_NODES (with us) a new node is not learnt; collisions keep the most recent 64', () => {
  const d = new NodeDirectory(nodeId(1), { url: 'bin:127.0.0.1:5001', sipAddr: '', priority: 3, noPingRetries: 1 });
  const at = (i: number) => ({ url: `bin:10.0.${i >> 8}.${i & 255}:5000`, sipAddr: '', priority: 3, noPingRetries: 1 });
  for (let i = 2; i <= 128; i++) assert.equal(d.learn(nodeId(i), at(i)).kind, 'added', `node ${i}`);
  assert.equal(d.learn(nodeId(129), at(129)).kind, 'full');
  assert.equal(d.ids().length, 127, '127 others and us: the 128 a PONG can list');
  for (let i = 0; i < 1000; i++) d.learn(nodeId(1), at(1000 + i));
  const kept = d.collisionReports();
  assert.equal(kept.length, 64);
  assert.equal(kept.at(-1)?.claimedUrl, at(1999).url, 'the most recent one is kept');
});
