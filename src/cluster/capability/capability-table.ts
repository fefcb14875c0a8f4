import type { NodeId } from '../../lib/ids.ts';
import { MAX_CAPABILITIES_PER_NODE } from '../wire/limits.ts';

/** One node's capabilities as carried by CAP_UPDATE: `ok` is the wire state 1 ("synced"). */
export interface CapabilityEntry {
  readonly nodeId: NodeId;
  readonly caps: ReadonlyArray<{ readonly name: string; readonly ok: boolean }>;
}

export interface CapabilityChange {
  readonly nodeId: NodeId;
  readonly name: string;
  readonly ok: boolean;
}

export type ApplyCapResult =
  | { readonly kind: 'applied'; readonly changes: readonly CapabilityChange[] }
  /** clusterer.c handle_cap_update stops at an unknown node id and does not flood the packet. */
  | { readonly kind: 'unknown-node'; readonly nodeId: NodeId; readonly changes: readonly CapabilityChange[] };

/**
 * Hook for the capability sync protocol (SYNC_REQ → SYNC chunks → SYNC_END, donor choice, seed
 * fallback), which lives elsewhere later. The table only tells it which local capabilities are
 * not synced and which nodes could donate.
 */
export interface CapabilitySyncSeam {
  onDonorAvailable(capability: string, donor: NodeId): void;
}

/**
 * Which node has which capability and whether it is synced (clusterer.c struct remote_cap /
 * local_cap). CAP_UPDATE carries no usable ordering: OpenSIPS 4.0 does not check its seq_no
 * (handle_cap_update) and restarted nodes send 0 (vectors 04 #26), so updates are applied as
 * they come; every update carries full state, so the last one wins.
 */
/** Our own capability: synced or not (`ok`), enabled or not (clusterer:set_cap_status). */
interface LocalCap {
  ok: boolean;
  enabled: boolean;
  /** Registered synced: it holds no data to sync (sipcluster-mi), so enabling makes it OK again. */
  readonly syncless: boolean;
}

/** What clusterer:set_cap_status did. */
export type SetCapResult = 'unknown-capability' | 'unchanged' | 'changed';

export class CapabilityTable {
  private readonly local = new Map<string, LocalCap>();
  private readonly remote = new Map<NodeId, Map<string, boolean>>();
  private seq = -1;
  private seam: CapabilitySyncSeam | undefined;

  constructor(readonly selfId: NodeId) {}

  setSyncSeam(seam: CapabilitySyncSeam): void {
    this.seam = seam;
  }

  /** A module registers a capability (clusterer register_capability); not synced until told. */
  registerLocal(name: string, synced = false): void {
    if (!this.local.has(name)) this.local.set(name, { ok: synced, enabled: true, syncless: synced });
  }

  /**
   * Returns true when the state changed, i.e. a CAP_UPDATE should be flooded. A disabled
   * capability stays "not synced": it takes no sync data.
   */
  setLocalSynced(name: string, synced: boolean): boolean {
    const cap = this.local.get(name);
    if (cap === undefined) {
      this.local.set(name, { ok: synced, enabled: true, syncless: false });
      return true;
    }
    if (cap.ok === synced || (synced && !cap.enabled)) return false;
    cap.ok = synced;
    return true;
  }

  /**
   * clusterer:set_cap_status. As OpenSIPS documents it, a disabled capability sends and accepts
   * none of its replication or sync messages (the node gates them: isLocalDisabled), turns "not
   * synced" and so is no sync donor (CAP_UPDATE carries that state). Enabled again, a capability
   * with no data to sync is OK at once; one with data stays not synced and is offered the donors
   * known now, as a new donor would be.
   */
  setLocalEnabled(name: string, enabled: boolean): SetCapResult {
    const cap = this.local.get(name);
    if (cap === undefined) return 'unknown-capability';
    if (cap.enabled === enabled) return 'unchanged';
    cap.enabled = enabled;
    cap.ok = enabled && cap.syncless;
    if (enabled && !cap.ok) for (const donor of this.donors(name)) this.seam?.onDonorAvailable(name, donor);
    return 'changed';
  }

  /** True for a capability of ours that clusterer:set_cap_status disabled; false for any other name. */
  isLocalDisabled(name: string): boolean {
    return this.local.get(name)?.enabled === false;
  }

  localCapabilities(): ReadonlyArray<{ name: string; ok: boolean }> {
    return [...this.local].map(([name, c]) => ({ name, ok: c.ok }));
  }

  /** handle_cap_update: entries about ourselves are skipped. */
  apply(entries: readonly CapabilityEntry[], isKnown: (id: NodeId) => boolean): ApplyCapResult {
    const changes: CapabilityChange[] = [];
    for (const e of entries) {
      if (e.nodeId === this.selfId) continue;
      if (!isKnown(e.nodeId)) return { kind: 'unknown-node', nodeId: e.nodeId, changes };
      let caps = this.remote.get(e.nodeId);
      if (caps === undefined) {
        caps = new Map();
        this.remote.set(e.nodeId, caps);
      }
      for (const c of e.caps) {
        const had = caps.get(c.name);
        if (had === c.ok) continue;
        // Names only accumulate: bounded as the wire bounds one node's list (nr_cap), or a stream
        // of updates naming new capabilities grows the table and our own CAP_UPDATE stops encoding.
        if (had === undefined && caps.size >= MAX_CAPABILITIES_PER_NODE) continue;
        caps.set(c.name, c.ok);
        changes.push({ nodeId: e.nodeId, name: c.name, ok: c.ok });
        // A node in state OK may serve a pending sync of ours (handle_cap_update).
        const mine = this.local.get(c.name);
        if (c.ok && mine !== undefined && !mine.ok && mine.enabled) this.seam?.onDonorAvailable(c.name, e.nodeId);
      }
    }
    return { kind: 'applied', changes };
  }

  /** Content of a CAP_UPDATE we originate (send_cap_update): ourselves first, then what we know. */
  build(timestampS: number): { seq: number; timestamp: number; entries: CapabilityEntry[] } {
    this.seq += 1;
    const entries: CapabilityEntry[] = [{ nodeId: this.selfId, caps: this.localCapabilities() }];
    for (const [nodeId, caps] of this.remote) {
      entries.push({ nodeId, caps: [...caps].map(([name, ok]) => ({ name, ok })) });
    }
    return { seq: this.seq, timestamp: timestampS, entries };
  }

  /** Nodes that announce `name` in state OK: sync donor candidates. */
  donors(name: string): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, caps] of this.remote) if (caps.get(name) === true) out.push(id);
    return out;
  }

  hasCapability(nodeId: NodeId, name: string): boolean {
    return this.remote.get(nodeId)?.has(name) ?? false;
  }

  forgetNode(id: NodeId): void {
    this.remote.delete(id);
  }

  /** MI clusterer:list_cap entries (vectors mi/node1-clusterer_list_cap.json). */
  miList(): Array<{ name: string; state: 'Ok' | 'not synced'; enabled: 'yes' | 'no' }> {
    return [...this.local].map(([name, c]) => ({ name, state: c.ok ? 'Ok' : 'not synced', enabled: c.enabled ? 'yes' : 'no' }));
  }
}
