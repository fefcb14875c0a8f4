/**
 * A seeded simulated network of in-process ClusterNodes on one FakeClock: latency, loss,
 * partitions, kills/restarts and blocked event loops. Every packet is encoded and decoded with
 * the real BIN codecs, so the sim also exercises the wire layer.
 */
import { FakeClock, SeededRandom } from '../../src/lib/fake-time.ts';
import { nodeId } from '../../src/lib/ids.ts';
import type { NodeId } from '../../src/lib/ids.ts';
import { nullCounters } from '../../src/lib/counter.ts';
import type { TimerHandle } from '../../src/lib/time.ts';
import { decodeBinPacket, encodeBinMessage } from '../../src/cluster/wire/index.ts';
import { ClusterNode } from '../../src/cluster/node.ts';
import type { NodeOutput } from '../../src/cluster/node.ts';
import type { HeartbeatParams } from '../../src/cluster/membership/heartbeat-params.ts';
import type { NodeDescription } from '../../src/cluster/topology/node-directory.ts';

export interface SimOptions {
  readonly nodes: number;
  readonly seed: number;
  readonly heartbeat: HeartbeatParams;
  readonly latencyMs?: [number, number];
  readonly lossRate?: number;
}

export interface SimEvent {
  readonly atMs: number;
  readonly node: NodeId;
  readonly out: NodeOutput;
}

const desc = (i: number): NodeDescription => ({ url: `bin:10.0.0.${i}:5566`, sipAddr: '', priority: 3, noPingRetries: 3 });

export class SimNetwork {
  readonly clock = new FakeClock(0);
  readonly rnd: SeededRandom;
  readonly nodes = new Map<NodeId, ClusterNode>();
  readonly alive = new Set<NodeId>();
  readonly events: SimEvent[] = [];
  /** Directed pairs "a>b" whose packets vanish (partition). */
  readonly cut = new Set<string>();
  private readonly blockedUntil = new Map<NodeId, number>();
  private readonly wake = new Map<NodeId, TimerHandle>();
  /** Last delivery time per directed pair "a>b": TCP delivers in order, so the sim must too. */
  private readonly lastDeliveryMs = new Map<string, number>();
  packetsSent = 0;

  constructor(readonly opts: SimOptions) {
    this.rnd = new SeededRandom(opts.seed);
    for (let i = 1; i <= opts.nodes; i++) this.start(nodeId(i));
  }

  /** Node 1 is the seed; the others know only node 1 (vectors 01 lab layout). */
  start(id: NodeId): void {
    const node = new ClusterNode({
      clusterId: 1, selfId: id, self: desc(id), heartbeat: this.opts.heartbeat, capabilities: ['usrloc-contact-repl'],
      nodes: id === 1 ? [] : [{ id: nodeId(1), description: desc(1) }],
    }, this.clock, nullCounters);
    this.nodes.set(id, node);
    this.alive.add(id);
    this.schedule(id, 0);
  }

  kill(id: NodeId): void {
    this.alive.delete(id);
    this.wake.get(id)?.cancel();
    // The kernel closes the sockets: peers see FIN (vectors 04).
    for (const other of this.alive) this.handle(other, this.nodes.get(other)?.connectionClosed(id) ?? []);
  }

  restart(id: NodeId): void {
    this.start(id);
  }

  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) { this.cut.add(`${x}>${y}`); this.cut.add(`${y}>${x}`); }
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.partition([a], [b]);
  }

  heal(): void {
    this.cut.clear();
  }

  /** The node's event loop is blocked: nothing it receives or schedules runs before `untilMs`. */
  block(id: NodeId, forMs: number): void {
    this.blockedUntil.set(id, this.clock.nowMs() + forMs);
    this.schedule(id, forMs);
  }

  run(ms: number, check?: () => void, stepMs = 50): void {
    const end = this.clock.nowMs() + ms;
    while (this.clock.nowMs() < end) {
      this.clock.advance(Math.min(stepMs, end - this.clock.nowMs()));
      check?.();
    }
  }

  /** Performs outputs a node produced outside the sim's own inputs (an MI call such as removeNode). */
  perform(id: number, outs: readonly NodeOutput[]): void {
    this.handle(nodeId(id), outs);
  }

  node(id: number): ClusterNode {
    const n = this.nodes.get(nodeId(id));
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private delay(id: NodeId): number {
    return Math.max(0, (this.blockedUntil.get(id) ?? 0) - this.clock.nowMs());
  }

  private schedule(id: NodeId, afterMs: number): void {
    this.wake.get(id)?.cancel();
    const node = this.nodes.get(id);
    if (node === undefined || !this.alive.has(id)) return;
    const at = Math.max(node.nextWakeMs(), this.clock.nowMs() + afterMs);
    if (!Number.isFinite(at)) return;
    this.wake.set(id, this.clock.after(at - this.clock.nowMs(), () => {
      if (!this.alive.has(id) || this.nodes.get(id) !== node) return;
      const d = this.delay(id);
      if (d > 0) return this.schedule(id, d);
      this.handle(id, node.tick());
    }));
  }

  private handle(id: NodeId, outs: readonly NodeOutput[]): void {
    for (const o of outs) {
      this.events.push({ atMs: this.clock.nowMs(), node: id, out: o });
      if (o.kind === 'send') this.transmit(id, o.to, encodeBinMessage(o.msg));
      else if (o.kind === 'reply') this.transmit(id, nodeId(Number(o.connId)), encodeBinMessage(o.msg));
    }
    this.schedule(id, this.delay(id));
  }

  private transmit(from: NodeId, to: NodeId, bytes: Buffer): void {
    this.packetsSent++;
    const sender = this.nodes.get(from);
    if (!this.alive.has(to)) {
      // Connection refused (RST): the sender learns at once (vectors 04: SYN → RST).
      this.clock.after(1, () => { if (this.alive.has(from) && this.nodes.get(from) === sender && sender) this.handle(from, sender.sendFailed(to)); });
      return;
    }
    if (this.cut.has(`${from}>${to}`)) return;
    if (this.rnd.next() < (this.opts.lossRate ?? 0)) return;
    const [lo, hi] = this.opts.latencyMs ?? [1, 5];
    const target = this.nodes.get(to);
    const deliver = (): void => {
      if (!this.alive.has(to) || this.nodes.get(to) !== target || target === undefined) return;
      const d = this.delay(to);
      if (d > 0) return void this.clock.after(d, deliver);
      const p = decodeBinPacket(bytes);
      if (!p.ok) throw new Error(`sim: our own packet does not decode: ${p.error.code}`);
      this.handle(to, target.receive(p.value, { connId: String(from), nodeId: from }));
    };
    // One TCP connection per direction (vectors README, "Connections"): later packets never
    // overtake earlier ones, whatever latency each draws.
    const pair = `${from}>${to}`;
    const at = Math.max(this.clock.nowMs() + lo + this.rnd.next() * (hi - lo), this.lastDeliveryMs.get(pair) ?? 0);
    this.lastDeliveryMs.set(pair, at);
    this.clock.after(at - this.clock.nowMs(), deliver);
  }
}
