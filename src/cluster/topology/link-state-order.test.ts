import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId } from '../../lib/ids.ts';
import type { NodeId } from '../../lib/ids.ts';
import { NodeDirectory } from './node-directory.ts';
import { LinkStateDb } from './link-state-db.ts';

const d = (i: number) => ({ url: `bin:10.0.0.${i}:5566`, sipAddr: '', priority: 3, noPingRetries: 3 });

test('FULL_TOP_UPDATE flooded late does not resurrect a link its source already reported Down (stale source entry applied as is)', () => {
  // M = 3 observes S = 1. X = 2 is S's neighbour that dies; N = 4 is the neighbour whose
  // link-up made S send the FULL_TOP_UPDATE (S -> N -> M), overtaken by S's direct LS_UPDATE.
  const [M, S, X, N] = [3, 1, 2, 4].map((i) => nodeId(i)) as [NodeId, NodeId, NodeId, NodeId];
  const dir = new NodeDirectory(M, d(3));
  for (const i of [S, X, N]) dir.configure(i, d(i));
  const db = new LinkStateDb(M, dir);
  db.setOwnLink(S, 'up', 100);
  db.setOwnLink(N, 'up', 100);
  // M's own link with X went down (X died): M only reaches X if someone reports a link to it.
  db.applyLsUpdate(S, { seq: 4, timestamp: 100 }, X, 'up');
  db.applyLsUpdate(S, { seq: 5, timestamp: 100 }, N, 'up');   // S-N came up: S sends FULL_TOP (ls seq 5) to N
  db.applyLsUpdate(S, { seq: 6, timestamp: 101 }, X, 'down'); // then S's link with X dies; direct to M
  assert.equal(db.isReachable(X), false, 'X is dead and nobody reports a link to it');
  // ...and the FULL_TOP S built before seq 6 arrives at M through N.
  const r = db.applyFullTop(S, { seq: 3, timestamp: 100 }, [
    { nodeId: S, ls: { seq: 5, timestamp: 100 }, neighbors: [N, X, M] },
  ], () => true);
  assert.notEqual(r.verdict, 'stale');
  assert.ok(!db.neighborsOf(S).includes(X), 'S -> X resurrected from an update older than seq 6');
  assert.equal(db.isReachable(X), false, 'dead X is reachable through S until S happens to send another LS_UPDATE');
});

const T = 1795627926;

// OpenSIPS puts ls_timestamp = 0 in its own FULL_TOP_UPDATE entry (send_full_top_update pushes
// current_node->ls_timestamp, which send_ls_update never sets): every one of the 42 FULL_TOP_UPDATEs
// in the vectors has "node[0] ls_timestamp = 0" (e.g. 01 #35: ls_seq_no 0, ls_timestamp 0).
function meAndOpensipsPeer(): { db: LinkStateDb; O: NodeId; X: NodeId; Y: NodeId } {
  const [M, O, X, Y] = [5, 2, 3, 4].map((i) => nodeId(i)) as [NodeId, NodeId, NodeId, NodeId];
  const dir = new NodeDirectory(M, d(5));
  for (const i of [O, X, Y]) dir.configure(i, d(i));
  const db = new LinkStateDb(M, dir);
  db.setOwnLink(O, 'up', T + 10);
  // O (OpenSIPS) brought its link with us up and sent its FULL_TOP_UPDATE: own entry seq 4, ts 0
  db.applyFullTop(O, { seq: 3, timestamp: T + 10 }, [{ nodeId: O, ls: { seq: 4, timestamp: 0 }, neighbors: [M, X, Y] }], () => true);
  return { db, O, X, Y };
}

test('an OpenSIPS peer\'s older LS_UPDATE (seq 2 < 4) still travelling the mesh is stale, not a "restart"', () => {
  const { db, O, X } = meAndOpensipsPeer();
  // a late flooded copy of O's LS_UPDATE #2 (issued before the FULL_TOP_UPDATE above): O -> X down
  const r = db.applyLsUpdate(O, { seq: 2, timestamp: T + 2 }, X, 'down');
  assert.equal(r.verdict, 'stale', 'seq went back from 4 to 2 within the same incarnation of O');
  assert.ok(db.neighborsOf(O).includes(X), 'O -> X must stay up: the FULL_TOP_UPDATE (seq 4) is newer');
});

test('a late copy of an OpenSIPS peer\'s first LS_UPDATE (seq 0) is not accepted again after its seq-4 FULL_TOP_UPDATE entry', () => {
  const { db, O, Y } = meAndOpensipsPeer();
  const r = db.applyLsUpdate(O, { seq: 0, timestamp: T + 1 }, Y, 'down');
  assert.equal(r.verdict, 'stale', 'seq-rules.ts: seq 0 is a restart only with a newer timestamp — 0 is not an older one');
});
