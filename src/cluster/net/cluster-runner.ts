/**
 * Runs a sans-I/O ClusterNode for real: the BinTransport's packets are decoded and fed to the
 * node, the node's outputs are encoded and written (`reply` on the inbound connection, `send` on
 * our connection to the node's URL from its directory), and one timer follows `nextWakeMs()`.
 * Nothing received can throw out of here: a packet that does not decode is a counted drop
 * (`clusterer:drop_<CODE>`), as proto_bin drops it (bin_common.h), and the node keeps running.
 */
import type { Clock, TimerHandle, Timers } from '../../lib/time.ts';
import type { CounterFactory } from '../../lib/counter.ts';
import { isValidId, nodeId as toNodeId } from '../../lib/ids.ts';
import type { NodeId } from '../../lib/ids.ts';
import { decodeBinPacket, encodeBinMessage } from '../wire/index.ts';
import type { BinMessage, DecodedPacket } from '../wire/index.ts';
import type { ClusterNode, NodeOutput, RemoveNodeRefusal, RoutedMessage, SendResult, SetCapResult } from '../node.ts';
import { BinTransport } from './bin-transport.ts';
import type { BinTransportOptions, PacketSource } from './bin-transport.ts';
import { parseBinUrl } from './bin-url.ts';
import type { BinUrl } from './bin-url.ts';

/** What the runner reports: the node's events (node-up, node-down, message, dropped...). */
export type ClusterEvent = Exclude<NodeOutput, { kind: 'send' } | { kind: 'reply' }>;

/** OpenSIPS send results including -3: the next hop exists but the driver could not write. */
export type RunnerSendResult = SendResult | 'failed';

export interface ClusterRunnerOptions {
  readonly node: ClusterNode;
  readonly transport: Omit<BinTransportOptions, 'onPacket' | 'onLinkBroken' | 'clock' | 'counters'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly counters: CounterFactory;
}

/** Failure-handling rounds per input: sendFailed outputs never send, so this is only a guard. */
const MAX_FAILURE_ROUNDS = 64;

export class ClusterRunner {
  readonly node: ClusterNode;
  private readonly transport: BinTransport;
  private readonly listeners = new Set<(e: ClusterEvent) => void>();
  private readonly urls = new Map<string, BinUrl | undefined>();
  private readonly failed = new Set<NodeId>();
  /** URLs of nodes being removed, for the REMOVE_NODE copy sent after the node forgot them. */
  private readonly leavingUrls = new Map<NodeId, string>();
  private readonly tlsIdentity: boolean;
  private wake: TimerHandle | undefined;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private running = false;
  private draining = false;

  constructor(private readonly o: ClusterRunnerOptions) {
    this.node = o.node;
    this.tlsIdentity = o.transport.tls !== undefined;
    this.transport = new BinTransport({
      ...o.transport, clock: o.clock, counters: o.counters,
      onPacket: (p, from) => this.onPacket(p, from),
      // Ids here come from our own directory (ClusterNode.receive refuses invalid ones); checked
      // anyway, since a throw in a socket callback would end the process.
      onLinkBroken: (id) => { if (isValidId(id)) this.handle(this.node.connectionClosed(toNodeId(id))); },
    });
  }

  /** Listens, then starts pinging the configured nodes. Returns the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const addr = await this.transport.start();
    this.running = true;
    this.handle(this.node.tick());
    return addr;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.cancel();
    this.wake = undefined;
    await this.transport.stop();
  }

  /** Subscribes to node events; returns the unsubscribe function. */
  on(listener: (e: ClusterEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a routed message (generic-msg, usrloc...) towards its trailer destination. */
  sendRouted(msg: RoutedMessage): RunnerSendResult {
    const r = this.node.sendRouted(msg);
    if (r !== 'sent') return r;
    const hop = this.node.topology.nextHop(msg.destinationNodeId as NodeId);
    const ok = this.handle(this.node.takeOutputs());
    return hop !== undefined && !ok.has(hop) ? 'failed' : 'sent';
  }

  /** clusterer_set_status for the current node. */
  setEnabled(on: boolean): void {
    this.handle(this.node.setEnabled(on));
  }

  /** clusterer:set_cap_status for one of our capabilities; sends the CAP_UPDATEs a change makes. */
  setCapabilityEnabled(name: string, on: boolean): SetCapResult {
    const r = this.node.setCapabilityEnabled(name, on);
    this.handle(r.outputs);
    return r.result;
  }

  /**
   * clusterer_remove_node (ClusterNode.removeNode): sends the REMOVE_NODE copies, forgets the
   * node, then closes our connection to it once its own copy is written. Returns the refusal.
   */
  removeNode(id: NodeId): RemoveNodeRefusal | undefined {
    const url = this.node.directory.get(id)?.description.url;
    const r = this.node.removeNode(id);
    if (r.kind === 'refused') return r.reason;
    if (url !== undefined) this.leavingUrls.set(id, url);
    try {
      this.handle(r.outputs);
    } finally {
      this.leavingUrls.delete(id);
    }
    this.transport.closeAfterFlush(id);
    return undefined;
  }

  /** Feeds the node outputs produced outside the runner (e.g. after reconfiguring nodes). */
  flush(): void {
    this.handle(this.node.takeOutputs());
  }

  connectionCount(): number {
    return this.transport.connectionCount();
  }

  private onPacket(packet: Buffer, from: PacketSource): void {
    if (!this.running) return;
    const p = decodeBinPacket(packet);
    if (!p.ok) return this.dropped(p.error.code);
    if (from.nodeId !== undefined && this.tlsIdentity) {
      // The certificate names the node (tls-identity.ts); the packet must come from that node.
      const t = transmitterOf(p.value);
      if (t !== undefined && t !== from.nodeId) return this.dropped('CLUSTER_NET_IDENTITY_MISMATCH');
    }
    if (from.nodeId !== undefined && !isValidId(from.nodeId)) return this.dropped('CLUSTER_BAD_NODE_ID');
    this.handle(this.node.receive(p.value, { connId: String(from.connectionId), ...(from.nodeId === undefined ? {} : { nodeId: toNodeId(from.nodeId) }) }));
  }

  /** Performs outputs; returns the nodes a send reached the transport for (failures are fed back). */
  private handle(outputs: readonly NodeOutput[]): Set<NodeId> {
    const sentTo = new Set<NodeId>();
    for (const o of outputs) {
      if (o.kind === 'send') {
        if (this.sendTo(o.to, o.msg)) sentTo.add(o.to);
        else this.failed.add(o.to);
      } else if (o.kind === 'reply') {
        const bytes = this.encode(o.msg);
        if (bytes !== undefined) this.transport.reply(Number(o.connId), bytes);
      } else {
        // A REMOVE_NODE made the node forget a peer: drop our connection to it too, as removeNode() does.
        if (o.kind === 'node-removed') this.transport.disconnect(o.nodeId);
        this.emit(o);
      }
    }
    if (!this.draining) {
      this.draining = true;
      try {
        for (let round = 0; this.failed.size > 0 && round < MAX_FAILURE_ROUNDS; round++) {
          const [id] = this.failed;
          this.failed.delete(id as NodeId);
          this.handle(this.node.sendFailed(id as NodeId));
        }
        this.failed.clear();
      } finally {
        this.draining = false;
      }
      this.reschedule();
    }
    return sentTo;
  }

  private sendTo(to: NodeId, msg: BinMessage): boolean {
    if (!this.running) return false;
    const text = this.node.directory.get(to)?.description.url ?? this.leavingUrls.get(to);
    if (text === undefined) return false;
    let url = this.urls.get(text);
    if (!this.urls.has(text)) {
      url = parseBinUrl(text);
      this.urls.set(text, url);
    }
    if (url === undefined) return false;
    const bytes = this.encode(msg);
    if (bytes === undefined) return false;
    const r = this.transport.send(to, url, bytes);
    return r === 'sent' || r === 'queued';
  }

  private encode(msg: BinMessage): Buffer | undefined {
    try {
      return encodeBinMessage(msg);
    } catch {
      // A field past a wire limit is our bug, not the peer's: count it, keep the node running.
      this.dropped('CLUSTER_WIRE_ENCODE_LIMIT');
      return undefined;
    }
  }

  /** One timer for the whole node, at the earliest link deadline (not one per link). */
  private reschedule(): void {
    if (!this.running) return;
    const at = this.node.nextWakeMs();
    if (at === Number.POSITIVE_INFINITY) return;
    const now = this.o.clock.nowMs();
    const due = Math.max(at, now);
    if (this.wake !== undefined && this.wakeAtMs <= due) return;
    this.wake?.cancel();
    this.wakeAtMs = due;
    this.wake = this.o.timers.after(Math.max(1, Math.ceil(due - now)), () => {
      this.wake = undefined;
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      if (this.running) this.handle(this.node.tick());
    });
  }

  private dropped(code: string): void {
    this.o.counters.counter(`clusterer:drop_${code}`, 'dropped cluster packets by reason').inc();
    this.emit({ kind: 'dropped', code });
  }

  private emit(e: ClusterEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not break the cluster loop; the service logs its own errors.
      }
    }
  }
}

/** The node that put this packet on the wire: the last hop of a flooded path, or the source. */
function transmitterOf(p: DecodedPacket): number | undefined {
  if (p.kind === 'unknown-capability' || 'destinationNodeId' in p) return undefined;
  if ('path' in p) return p.path[p.path.length - 1] ?? p.sourceNodeId;
  return p.sourceNodeId;
}
