import type { NodeId } from '../../lib/ids.ts';
import type { NodeDescription, NodeDirectory } from './node-directory.ts';
import { computeNextHops } from './routing.ts';
import { judgeUpdate, NO_SEQ } from './seq-rules.ts';
import type { SeqStamp, SeqVerdict } from './seq-rules.ts';

export type WireLinkState = 'up' | 'down';

/** One node's entry in a FULL_TOP_UPDATE (topology.c send_full_top_update). */
export interface TopologyEntry {
  readonly nodeId: NodeId;
  readonly description?: NodeDescription;
  readonly ls: SeqStamp;
  readonly neighbors: readonly NodeId[];
}

export interface FullTopResult {
  readonly verdict: SeqVerdict;
  /** Nodes that list us as Up while our link with them is not: ping them now (handle_full_top_update). */
  readonly restartPinging: NodeId[];
  readonly added: NodeId[];
  readonly collisions: Array<{ id: NodeId; knownUrl: string; claimedUrl: string }>;
}

export interface ReachabilityChange {
  readonly nodeId: NodeId;
  readonly reachable: boolean;
}

/**
 * The link-state database of one cluster: every node's reported adjacency with per-source
 * sequence stamps, our own Up links (fed by membership), next hops and reachability.
 * A node is up when any path reaches it (topology.c check_node_events / get_next_hop).
 */
export class LinkStateDb {
  /** Reported adjacency; ours is kept under selfId. Newest first, as OpenSIPS prepends (add_neighbour). */
  private readonly adj = new Map<NodeId, NodeId[]>();
  private readonly lsStamp = new Map<NodeId, SeqStamp>();
  private readonly topStamp = new Map<NodeId, SeqStamp>();
  private ownLsSeq = -1;
  private ownTopSeq = -1;
  private ownLsTimestamp = 0;
  private hops: Map<NodeId, NodeId> | undefined;
  private reported = new Set<NodeId>();

  constructor(
    readonly selfId: NodeId,
    private readonly directory: NodeDirectory,
  ) {
    this.adj.set(selfId, []);
  }

  // ---- our own links (membership → topology) ----

  /** Records our link with `neighbor`; returns the LS_UPDATE content to flood, or undefined if nothing changed. */
  setOwnLink(neighbor: NodeId, state: WireLinkState, timestampS: number): { seq: number; timestamp: number; neighbor: NodeId; state: WireLinkState } | undefined {
    if (!this.setLink(this.selfId, neighbor, state)) return undefined;
    // A link we see Down is gone both ways in our view (vectors mi/…list_topology-node3-down:
    // node 3 keeps only [2]); the neighbor→us edge only feeds the MI, never routing.
    if (state === 'down') this.setLink(neighbor, this.selfId, 'down');
    this.ownLsSeq += 1;
    this.ownLsTimestamp = timestampS;
    return { seq: this.ownLsSeq, timestamp: timestampS, neighbor, state };
  }

  upNeighbors(): readonly NodeId[] {
    return this.adj.get(this.selfId) ?? [];
  }

  // ---- LS_UPDATE ----

  /**
   * handle_ls_update. `aboutSelf` is set when the update is about the source's link with us;
   * the caller compares it with its own link state (a mismatch restarts pinging).
   */
  applyLsUpdate(src: NodeId, stamp: SeqStamp, about: NodeId, state: WireLinkState): { verdict: SeqVerdict; aboutSelf?: WireLinkState; unknown?: true } {
    const verdict = judgeUpdate(this.lsStamp.get(src) ?? NO_SEQ, stamp);
    if (verdict === 'stale') return { verdict };
    this.lsStamp.set(src, stamp);
    if (about === this.selfId) {
      this.setLink(src, this.selfId, state); // shown by clusterer_list_topology (vectors: 3 → [2,1])
      return { verdict, aboutSelf: state };
    }
    if (!this.directory.has(about)) return { verdict, unknown: true };
    this.setLink(src, about, state);
    return { verdict };
  }

  // ---- FULL_TOP_UPDATE ----

  /** The content of a FULL_TOP_UPDATE for `dest`, which listed `destKnows` in its PONG. */
  buildFullTop(dest: NodeId, destKnows: readonly NodeId[], timestampS: number): { seq: number; timestamp: number; entries: TopologyEntry[] } {
    this.ownTopSeq += 1;
    const entries: TopologyEntry[] = [{ nodeId: this.selfId, ls: { seq: this.ownLsSeq, timestamp: this.ownLsTimestamp }, neighbors: [...this.upNeighbors()] }];
    for (const n of this.directory.list()) {
      if (n.id === dest) continue;
      const e: TopologyEntry = {
        nodeId: n.id,
        ls: this.lsStamp.get(n.id) ?? NO_SEQ,
        neighbors: [...(this.adj.get(n.id) ?? [])],
        ...(destKnows.includes(n.id) ? {} : { description: n.description }),
      };
      entries.push(e);
    }
    return { seq: this.ownTopSeq, timestamp: timestampS, entries };
  }

  /** handle_full_top_update. `ourLinkUp(n)` says whether membership has our link with n Up. */
  applyFullTop(src: NodeId, stamp: SeqStamp, entries: readonly TopologyEntry[], ourLinkUp: (n: NodeId) => boolean): FullTopResult {
    const res: FullTopResult = { verdict: judgeUpdate(this.topStamp.get(src) ?? NO_SEQ, stamp), restartPinging: [], added: [], collisions: [] };
    if (res.verdict === 'stale') return res;
    this.topStamp.set(src, stamp);
    const described = new Map<NodeId, NodeDescription>();
    for (const e of entries) if (e.description !== undefined) described.set(e.nodeId, e.description);
    const learn = (id: NodeId): boolean => {
      if (this.directory.has(id)) return true;
      const d = described.get(id);
      if (d === undefined) return false;
      const out = this.directory.learn(id, d);
      if (out.kind === 'added') res.added.push(id);
      if (out.kind === 'collision') res.collisions.push(out);
      return out.kind === 'added';
    };
    entries.forEach((e, i) => {
      if (e.nodeId === this.selfId || !learn(e.nodeId)) return;
      // The source's own entry (i = 0) is the freshest word on its links (OpenSIPS applies it as
      // is), unless we already hold a later LS_UPDATE of the source: a FULL_TOP_UPDATE that reached
      // us by flooding can be overtaken by the source's own LS_UPDATE, and applied after it, it
      // brought back a link the source had reported Down (a dead node stayed reachable until the
      // source's next link change). An entry with the seq we hold is applied (the usual case
      // right after link-up). The stamp only ever moves forward: rewound, every copy of the later
      // updates still travelling the mesh was accepted and flooded again, and at 12+ nodes the
      // copies multiplied without bound (sim, 16-node bootstrap).
      const held = this.lsStamp.get(e.nodeId) ?? NO_SEQ;
      const fresh = judgeUpdate(held, e.ls) !== 'stale';
      if (!fresh && (i > 0 || e.ls.seq !== held.seq)) return;
      if (fresh) this.lsStamp.set(e.nodeId, keepTimestamp(held, e.ls));
      const present = new Set<NodeId>();
      for (const n of e.neighbors) {
        if (n === this.selfId) {
          if (!ourLinkUp(e.nodeId)) res.restartPinging.push(e.nodeId);
          this.setLink(e.nodeId, n, 'up');
          present.add(n);
          continue;
        }
        if (!learn(n)) continue;
        this.setLink(e.nodeId, n, 'up');
        present.add(n);
      }
      // A node has no info about the links from its neighbors to itself: keep e → src.
      for (const n of [...(this.adj.get(e.nodeId) ?? [])]) {
        if (!present.has(n) && n !== src) this.setLink(e.nodeId, n, 'down');
      }
    });
    return res;
  }

  // ---- queries ----

  /** Next hop towards `dest` (itself when it is a direct Up neighbor), undefined when unreachable. */
  nextHop(dest: NodeId): NodeId | undefined {
    this.hops ??= computeNextHops(this.selfId, {
      neighborsOf: (id) => this.adj.get(id) ?? [],
      priorityOf: (id) => this.directory.priorityOf(id),
    });
    return this.hops.get(dest);
  }

  isReachable(dest: NodeId): boolean {
    return this.nextHop(dest) !== undefined;
  }

  /** Reported adjacency of a node (MI clusterer:list_topology "Neighbours"). */
  neighborsOf(id: NodeId): readonly NodeId[] {
    return this.adj.get(id) ?? [];
  }

  /**
   * Nodes whose reachability changed since the last call (node up/down events). A node that
   * became unreachable also loses its sequence stamps, so that its next incarnation is accepted
   * even if its seq-0 update was lost (see seq-rules.ts).
   */
  takeReachabilityChanges(): ReachabilityChange[] {
    const now = new Set<NodeId>();
    for (const id of this.directory.ids()) if (this.isReachable(id)) now.add(id);
    const changes: ReachabilityChange[] = [];
    for (const id of now) if (!this.reported.has(id)) changes.push({ nodeId: id, reachable: true });
    for (const id of this.reported) {
      if (!now.has(id)) {
        changes.push({ nodeId: id, reachable: false });
        this.lsStamp.delete(id);
        this.topStamp.delete(id);
      }
    }
    this.reported = now;
    return changes;
  }

  /** Forget a node entirely (clusterer:remove_node). */
  forget(id: NodeId): void {
    for (const list of this.adj.values()) {
      const i = list.indexOf(id);
      if (i >= 0) list.splice(i, 1);
    }
    this.adj.delete(id);
    this.lsStamp.delete(id);
    this.topStamp.delete(id);
    this.reported.delete(id);
    this.hops = undefined;
  }

  private setLink(a: NodeId, b: NodeId, state: WireLinkState): boolean {
    let list = this.adj.get(a);
    if (list === undefined) {
      list = [];
      this.adj.set(a, list);
    }
    const i = list.indexOf(b);
    if (state === 'up' && i < 0) list.unshift(b);
    else if (state === 'down' && i >= 0) list.splice(i, 1);
    else return false;
    this.hops = undefined;
    return true;
  }
}

/**
 * OpenSIPS stamps its own FULL_TOP_UPDATE entry with ls_timestamp 0 (send_ls_update never sets
 * current_node->ls_timestamp; every FULL_TOP_UPDATE in the 4.0.1 vectors shows it): 0 says
 * nothing, so the timestamp we held is kept with the new seq (seq-rules.ts reads a stored 0 as
 * unknown).
 */
function keepTimestamp(held: SeqStamp, ls: SeqStamp): SeqStamp {
  return ls.timestamp !== 0 || held.timestamp === 0 ? ls : { seq: ls.seq, timestamp: held.timestamp };
}
