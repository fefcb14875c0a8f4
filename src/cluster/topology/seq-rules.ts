/**
 * "Is this update newer than what I hold?" for LS_UPDATE, FULL_TOP_UPDATE and the per-node
 * entries of a FULL_TOP_UPDATE.
 *
 * OpenSIPS (node_info.h validate_update): sequence numbers start at -1 and each update
 * pre-increments, so a (re)started node's first update carries 0. An update is accepted when its
 * seq is greater than the stored one, or when it is 0 (the node restarted), unless the stored one
 * is also 0 with a timestamp not older than the message's (a duplicate of that first update).
 * We also require a seq-0 update to carry a newer timestamp than the stored one (see below).
 *
 * Weakness: if a restarted node's seq-0 update is lost, every later update (1, 2, ...) is
 * rejected until its seq passes the old incarnation's. We also accept a lower seq whose
 * timestamp (unix seconds) is strictly newer: within one incarnation seq and timestamp only grow,
 * so "seq went back while time went forward" can only be a restart.
 */
export type SeqVerdict = 'newer' | 'restart' | 'stale';

export interface SeqStamp {
  readonly seq: number;
  readonly timestamp: number;
}

/** Stored value of a node we have never heard an update from (node_info.c add_node_info). */
export const NO_SEQ: SeqStamp = { seq: -1, timestamp: 0 };

export function judgeUpdate(stored: SeqStamp, msg: SeqStamp): SeqVerdict {
  // A stored timestamp of 0 is unknown (an OpenSIPS FULL_TOP_UPDATE's own entry, link-state-db
  // keepTimestamp): "seq went back while time went forward" cannot be told, so only a higher seq
  // is news. Without this, any older update still travelling the mesh passed as a restart (and
  // was applied and flooded again). A real restart is still caught by reachability (see above).
  if (stored.seq >= 0 && stored.timestamp === 0) return msg.seq > stored.seq ? 'newer' : 'stale';
  if (msg.seq === 0) {
    // Ours: seq 0 is a restart only when its timestamp moved on. OpenSIPS takes any seq 0 as a
    // restart, but in a mesh late copies of a node's *first* update keep arriving along longer
    // paths after its later ones; each rewound the stamp, re-opened every later update for
    // another flood, and a 12-node bootstrap multiplied copies without bound (sim). A restart
    // within the same second is still caught: a restarted node is first seen unreachable, which
    // clears its stamps (link-state-db takeReachabilityChanges), or answers UNKNOWN_ID.
    if (msg.timestamp <= stored.timestamp) return 'stale';
    return stored.seq > 0 ? 'restart' : 'newer';
  }
  if (msg.seq > stored.seq) return 'newer';
  if (msg.timestamp > stored.timestamp) return 'restart';
  return 'stale';
}
