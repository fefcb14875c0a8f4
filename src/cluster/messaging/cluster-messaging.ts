import type { Counter, CounterFactory } from '../../lib/counter.ts';
import type { Random, TimerHandle, Timers } from '../../lib/time.ts';
import { MAX_PACKET_BYTES, type GenericMessage } from '../wire/index.ts';
import { makeTag } from './tags.ts';

/** OpenSIPS's return codes of cluster_send_req & co, by name: 1, -1, -2, -3. */
export type MessagingResult = 'sent' | 'disabled' | 'unreachable' | 'failed';

/** E_CLUSTERER_REQ_RECEIVED / E_CLUSTERER_RPL_RECEIVED parameters. */
export interface GenericEvent {
  readonly clusterId: number;
  readonly srcId: number;
  readonly msg: string;
  readonly tag: string;
}

export interface MessagingPorts {
  readonly nodeId: number;
  readonly timers: Timers;
  readonly random: Random;
  readonly counters: CounterFactory;
  /** Sends one generic message to one node (via the next hop when not a neighbor). */
  send(msg: GenericMessage): 'sent' | 'disabled' | 'unreachable' | 'failed';
  /** Nodes of the cluster a broadcast goes to right now (up, reachable, not us). */
  reachable(clusterId: number): readonly number[];
  /** Whether this node is enabled in the cluster (clusterer_set_status). */
  enabled(clusterId: number): boolean;
  onRequest(ev: GenericEvent): void;
  /** Replies nobody waits for: unsolicited, or arriving after the wait's deadline. */
  onReply(ev: GenericEvent): void;
}

/** Longest a script may wait for cluster replies (a typo of seconds for milliseconds stays visible). */
export const MAX_REQUEST_TIMEOUT_MS = 600_000;
/** Requests waited for at once; beyond, request() answers 'failed' without sending (a script looping on request()). */
export const MAX_PENDING_REQUESTS = 10_000;

export interface RequestOptions {
  readonly nodeId?: number;
  readonly timeoutMs: number;
  readonly collect: 'first' | 'all';
  readonly includeSelf?: boolean;
}

/** What a request() collected; `complete` when every node it reached answered before the deadline. */
export interface Collected {
  readonly replies: GenericEvent[];
  readonly complete: boolean;
}

interface Wait {
  readonly expected: Set<number>;
  readonly replies: GenericEvent[];
  readonly collect: 'first' | 'all';
  readonly resolve: (r: Collected) => void;
  timer: TimerHandle | undefined;
  /** A node we asked went down before answering: its answer is lost, the result is not complete. */
  lost: boolean;
}

/**
 * Script-level cluster messages (OpenSIPS cluster_broadcast_req / cluster_send_req /
 * cluster_send_rpl) on CLUSTERER_GENERIC_MSG, plus what OpenSIPS scripts emulate with
 * async(wait_for_event()): `request()` sends and resolves with the replies that carry its tag —
 * the first, or all until every node it reached answered or the deadline passed. A reply after
 * the deadline is reported to onReply and dropped from the wait. Pure: timers and randomness
 * are injected; the node layer carries the packets.
 */
export class ClusterMessaging {
  private readonly waits = new Map<string, Wait>();
  private readonly sent: Counter;
  private readonly received: Counter;
  private readonly lateReplies: Counter;
  private readonly unexpectedReplies: Counter;
  private readonly refused: Counter;

  constructor(private readonly p: MessagingPorts) {
    this.sent = p.counters.counter('clusterer:generic_msg_sent', 'script-level cluster messages sent (one per destination)');
    this.received = p.counters.counter('clusterer:generic_msg_received', 'script-level cluster messages received');
    this.lateReplies = p.counters.counter('clusterer:generic_rpl_late', 'replies that arrived after their request stopped waiting');
    this.unexpectedReplies = p.counters.counter('clusterer:generic_rpl_unexpected', 'replies to a waiting request from a node not asked, or a second one');
    this.refused = p.counters.counter('clusterer:generic_req_refused', 'requests refused: too many already waiting for replies');
  }

  /** Requests being waited for. */
  pending(): number {
    return this.waits.size;
  }

  broadcastReq(clusterId: number, msg: string, includeSelf = false): { tag: string; result: MessagingResult; sentTo: number[] } {
    const tag = makeTag(clusterId, this.p.nodeId, this.p.random);
    const { result, sentTo } = this.sendAll(clusterId, this.p.reachable(clusterId), true, tag, msg);
    if (includeSelf && this.p.enabled(clusterId)) this.deliverSelf(clusterId, msg, tag);
    return { tag, result: includeSelf && result === 'unreachable' ? 'sent' : result, sentTo };
  }

  sendReq(clusterId: number, nodeId: number, msg: string): { tag: string; result: MessagingResult } {
    const tag = makeTag(clusterId, this.p.nodeId, this.p.random);
    if (nodeId === this.p.nodeId) {
      this.deliverSelf(clusterId, msg, tag);
      return { tag, result: 'sent' };
    }
    return { tag, result: this.sendAll(clusterId, [nodeId], true, tag, msg).result };
  }

  sendRpl(clusterId: number, nodeId: number, msg: string, tag: string): { tag: string; result: MessagingResult } {
    if (nodeId === this.p.nodeId) {
      this.p.timers.after(0, () => this.receiveReply({ clusterId, srcId: nodeId, msg, tag }));
      return { tag, result: 'sent' };
    }
    return { tag, result: this.sendAll(clusterId, [nodeId], false, tag, msg).result };
  }

  /** Broadcast (or unicast with nodeId) and wait for replies with the same tag. */
  request(clusterId: number, msg: string, o: RequestOptions): { tag: string; result: MessagingResult; replies: Promise<Collected> } {
    const t = o.timeoutMs;
    // NaN, negative or overflowing delays became a 1 ms timer: "nobody answered" without asking.
    if (!(Number.isInteger(t) && t >= 1 && t <= MAX_REQUEST_TIMEOUT_MS)) {
      throw new RangeError(`cluster request timeoutMs must be an integer from 1 to ${MAX_REQUEST_TIMEOUT_MS}, not ${String(t)}`);
    }
    if (this.waits.size >= MAX_PENDING_REQUESTS) {
      this.refused.inc();
      return { tag: '', result: 'failed', replies: Promise.resolve({ replies: [], complete: false }) };
    }
    const r = o.nodeId === undefined ? this.broadcastReq(clusterId, msg, o.includeSelf ?? false) : { ...this.sendReq(clusterId, o.nodeId, msg), sentTo: o.nodeId === this.p.nodeId ? [] : [o.nodeId] };
    const expected = new Set<number>('sentTo' in r ? r.sentTo : []);
    if ((o.includeSelf ?? false) || o.nodeId === this.p.nodeId) expected.add(this.p.nodeId);
    if (r.result !== 'sent' || expected.size === 0) {
      // Nobody to ask in a broadcast is complete (no node can have said otherwise); a node named
      // and not reached is not: its answer is missing.
      const complete = o.nodeId === undefined && (r.result === 'unreachable' || expected.size === 0);
      return { tag: r.tag, result: r.result, replies: Promise.resolve({ replies: [], complete }) };
    }
    const replies = new Promise<Collected>((resolve) => {
      const w: Wait = { expected, replies: [], collect: o.collect, resolve, timer: undefined, lost: false };
      w.timer = this.p.timers.after(o.timeoutMs, () => this.finish(r.tag, w));
      this.waits.set(r.tag, w);
    });
    return { tag: r.tag, result: r.result, replies };
  }

  /** A GENERIC_MSG addressed to us (the node layer already routed foreign ones on). */
  receive(m: GenericMessage): void {
    this.received.inc();
    const ev: GenericEvent = { clusterId: m.clusterId, srcId: m.sourceNodeId, msg: m.payload.toString('utf8'), tag: m.tag };
    if (m.isRequest) this.p.onRequest(ev);
    else this.receiveReply(ev);
  }

  /**
   * A node went down: a wait no longer expects its reply (so 'all' does not sit out the
   * deadline), but the answer is lost, so the result is not complete ("nobody said no" ≠ "all said no").
   */
  nodeDown(nodeId: number): void {
    for (const [tag, w] of this.waits) {
      if (!w.expected.delete(nodeId)) continue;
      w.lost = true;
      if (w.expected.size === 0) this.finish(tag, w);
    }
  }

  private receiveReply(ev: GenericEvent): void {
    const w = this.waits.get(ev.tag);
    if (w === undefined) {
      if (ev.tag.startsWith(`${ev.clusterId}-${this.p.nodeId}-`)) this.lateReplies.inc();
      this.p.onReply(ev);
      return;
    }
    // Only the nodes asked, once each: a node that knows the tag cannot answer for another, nor
    // fill the wait with copies. What is not expected goes to onReply like a late reply.
    if (!w.expected.delete(ev.srcId)) {
      this.unexpectedReplies.inc();
      this.p.onReply(ev);
      return;
    }
    w.replies.push(ev);
    if (w.collect === 'first' || w.expected.size === 0) this.finish(ev.tag, w);
  }

  private finish(tag: string, w: Wait): void {
    if (this.waits.get(tag) !== w) return;
    this.waits.delete(tag);
    w.timer?.cancel();
    w.resolve({ replies: w.replies, complete: w.expected.size === 0 && !w.lost });
  }

  private deliverSelf(clusterId: number, msg: string, tag: string): void {
    // Asynchronously, like a packet from the network: the sender's code finishes first.
    this.p.timers.after(0, () => this.p.onRequest({ clusterId, srcId: this.p.nodeId, msg, tag }));
  }

  private sendAll(clusterId: number, nodes: readonly number[], isRequest: boolean, tag: string, msg: string): { result: MessagingResult; sentTo: number[] } {
    if (!this.p.enabled(clusterId)) return { result: 'disabled', sentTo: [] };
    const payload = Buffer.from(msg, 'utf8');
    // cluster_send_req's -3: the message cannot be built (a BIN str holds at most 65535 bytes,
    // and the whole packet must fit MAX_PACKET_BYTES with the tag and the trailer).
    if (payload.length + Buffer.byteLength(tag) + 64 > MAX_PACKET_BYTES) return { result: 'failed', sentTo: [] };
    const sentTo: number[] = [];
    let disabled = false;
    let failed = false;
    for (const n of nodes) {
      const r = this.p.send({ kind: 'generic-msg', clusterId, sourceNodeId: this.p.nodeId, destinationNodeId: n, isRequest, tag, payload });
      if (r === 'sent') { sentTo.push(n); this.sent.inc(); } else if (r === 'disabled') disabled = true;
      else if (r === 'failed') failed = true;
    }
    if (sentTo.length > 0) return { result: 'sent', sentTo };
    return { result: disabled ? 'disabled' : failed ? 'failed' : 'unreachable', sentTo };
  }
}
