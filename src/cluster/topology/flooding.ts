import type { NodeId } from '../../lib/ids.ts';
// UPDATE_MAX_PATH_LEN: one constant bounds what we decode and what we forward (topology.c
// flood_message "Too many hops").
import { MAX_PATH_LENGTH } from '../wire/index.ts';

export type FloodDecision =
  | { readonly kind: 'forward'; readonly path: readonly NodeId[]; readonly to: readonly NodeId[] }
  | { readonly kind: 'drop'; readonly reason: 'path-too-long' | 'loop' | 'no-target' };

/**
 * Where to forward a flooded packet (LS_UPDATE, FULL_TOP_UPDATE, NODE_DESCRIPTION, CAP_UPDATE)
 * that arrived with `path` (topology.c flood_message): to every Up neighbor not already on the
 * path, with ourselves appended. Unlike OpenSIPS we also drop a packet whose path already holds
 * our own id: it has been here, so forwarding it again could only loop.
 */
export function floodDecision(selfId: NodeId, path: readonly NodeId[], upNeighbors: Iterable<NodeId>): FloodDecision {
  if (path.length >= MAX_PATH_LENGTH) return { kind: 'drop', reason: 'path-too-long' };
  if (path.includes(selfId)) return { kind: 'drop', reason: 'loop' };
  const to: NodeId[] = [];
  for (const n of upNeighbors) if (n !== selfId && !path.includes(n)) to.push(n);
  if (to.length === 0) return { kind: 'drop', reason: 'no-target' };
  return { kind: 'forward', path: [...path, selfId], to };
}

/** Targets of an update we originate: every Up neighbor except `except` (send_ls_update). */
export function originTargets(upNeighbors: Iterable<NodeId>, except?: NodeId): NodeId[] {
  const to: NodeId[] = [];
  for (const n of upNeighbors) if (n !== except) to.push(n);
  return to;
}
