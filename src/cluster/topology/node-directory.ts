import type { NodeId } from '../../lib/ids.ts';
import { MAX_NODES } from '../wire/limits.ts';

/** What a NODE_DESCRIPTION or a FULL_TOP_UPDATE entry says about a node (topology.c bin_push_node_info). */
export interface NodeDescription {
  readonly url: string;
  readonly sipAddr: string;
  /** Lower is preferred as a next hop (topology.c prio_enqueue). */
  readonly priority: number;
  readonly noPingRetries: number;
}

export interface KnownNode {
  readonly id: NodeId;
  readonly description: NodeDescription;
  /** 'config' and 'db' nodes are authoritative; 'learned' ones came over the wire. */
  readonly origin: 'config' | 'db' | 'learned';
  /** OpenSIPS db_id; -1 when the node did not come from the database (MI clusterer:list). */
  readonly dbId: number;
  /** Free text shown by the MI ("none" in OpenSIPS when empty). */
  readonly comment: string;
}

export type LearnOutcome =
  | { readonly kind: 'added'; readonly node: KnownNode }
  | { readonly kind: 'known' }
  | { readonly kind: 'collision'; readonly id: NodeId; readonly knownUrl: string; readonly claimedUrl: string }
  | { readonly kind: 'self' }
  /** The cluster already has MAX_NODES nodes with us: more could not be listed on the wire (PONG, FULL_TOP_UPDATE). */
  | { readonly kind: 'full' };

/** Collisions kept for the MI (most recent); each is also counted and reported as it happens. */
export const MAX_COLLISIONS_KEPT = 64;

/**
 * The set of nodes of one cluster that this node knows, with their descriptions.
 *
 * Collision rule (ours; OpenSIPS accepts whatever claims an id): the first URL we accept for an
 * id stays. A different URL claiming the same id is reported every time it is seen but never
 * replaces the known one, so two misconfigured nodes cannot make the table flip-flop.
 */
export class NodeDirectory {
  private readonly nodes = new Map<NodeId, KnownNode>();
  private readonly collisions = new Map<string, { id: NodeId; knownUrl: string; claimedUrl: string }>();

  constructor(
    readonly selfId: NodeId,
    readonly self: NodeDescription,
  ) {}

  /** A node from our own config or database: authoritative. */
  configure(id: NodeId, description: NodeDescription, origin: 'config' | 'db' = 'config', dbId = -1, comment = ''): void {
    this.nodes.set(id, { id, description, origin, dbId, comment });
  }

  /** A node described by the wire (NODE_DESCRIPTION, FULL_TOP_UPDATE with has_descr=1). */
  learn(id: NodeId, description: NodeDescription): LearnOutcome {
    if (id === this.selfId) {
      if (description.url !== this.self.url) return this.collide(id, this.self.url, description.url);
      return { kind: 'self' };
    }
    const known = this.nodes.get(id);
    if (known === undefined) {
      // Anyone may send a NODE_DESCRIPTION: without a bound, a stranger grew the directory (and a
      // heartbeat link per entry, dialling URLs of its choice) until PONGs and FULL_TOP_UPDATEs to
      // the real neighbours no longer encoded.
      if (this.nodes.size + 1 >= MAX_NODES) return { kind: 'full' };
      const node: KnownNode = { id, description, origin: 'learned', dbId: -1, comment: '' };
      this.nodes.set(id, node);
      return { kind: 'added', node };
    }
    if (known.description.url !== description.url) return this.collide(id, known.description.url, description.url);
    return { kind: 'known' };
  }

  /** Is `url` someone else's? Used when a connection claims an id (NODE_DESCRIPTION source). */
  urlClash(id: NodeId, url: string): boolean {
    const known = id === this.selfId ? this.self : this.nodes.get(id)?.description;
    return known !== undefined && known.url !== url;
  }

  private collide(id: NodeId, knownUrl: string, claimedUrl: string): LearnOutcome {
    const key = `${id} ${claimedUrl}`;
    this.collisions.delete(key);
    if (this.collisions.size >= MAX_COLLISIONS_KEPT) this.collisions.delete(this.collisions.keys().next().value as string);
    this.collisions.set(key, { id, knownUrl, claimedUrl });
    return { kind: 'collision', id, knownUrl, claimedUrl };
  }

  remove(id: NodeId): boolean {
    return this.nodes.delete(id);
  }

  get(id: NodeId): KnownNode | undefined {
    return this.nodes.get(id);
  }

  has(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  /** Priority of any node including ourselves (3 when unknown, as OpenSIPS defaults it). */
  priorityOf(id: NodeId): number {
    if (id === this.selfId) return this.self.priority;
    return this.nodes.get(id)?.description.priority ?? 3;
  }

  /** Other nodes, most recently added first, as OpenSIPS lists them (vectors mi/node1-clusterer_list.json). */
  list(): KnownNode[] {
    return [...this.nodes.values()].reverse();
  }

  ids(): NodeId[] {
    return this.list().map((n) => n.id);
  }

  /** Distinct collisions seen, the most recent MAX_COLLISIONS_KEPT (id, known URL, claimed URL). */
  collisionReports(): Array<{ id: NodeId; knownUrl: string; claimedUrl: string }> {
    return [...this.collisions.values()];
  }
}
