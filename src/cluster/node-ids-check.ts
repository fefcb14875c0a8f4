/**
 * Every node id a received packet names must be one OpenSIPS could have: a positive C int
 * (isValidId). The wire codecs read them as int32, so a hostile or broken peer can send 0 or a
 * negative id; learnt, such an id reached toNodeId() in a socket callback and ended the process.
 * ClusterNode.receive drops the whole packet instead (counted as CLUSTER_BAD_NODE_ID).
 */
import { isValidId } from '../lib/ids.ts';
import type { DecodedPacket } from './wire/index.ts';

function allValid(ids: readonly number[]): boolean {
  for (let i = 0; i < ids.length; i++) if (!isValidId(ids[i] as number)) return false;
  return true;
}

/** True when every node id the packet asks us to know (source, path, lists, entries) is valid. */
export function nodeIdsValid(p: DecodedPacket): boolean {
  if (p.kind === 'unknown-capability') return true;
  if ('destinationNodeId' in p) {
    // The destination may be 4.0's AGG_DST_ID (negative, bridges) or unknown: routing refuses
    // what it cannot reach, and nothing is learnt from it.
    if (!isValidId(p.sourceNodeId)) return false;
    return p.kind !== 'remove-node' || isValidId(p.targetNodeId);
  }
  if (!isValidId(p.sourceNodeId)) return false;
  if ('path' in p && !allValid(p.path)) return false;
  switch (p.kind) {
    case 'pong': return allValid(p.knownNodeIds);
    case 'ls-update': return isValidId(p.neighborNodeId);
    case 'full-top-update':
      for (const e of p.nodes) if (!isValidId(e.nodeId) || !allValid(e.neighborIds)) return false;
      return true;
    case 'cap-update':
      for (const e of p.nodes) if (!isValidId(e.nodeId)) return false;
      return true;
    default: return true;
  }
}
