/**
 * NAT keep-alive pings of registered contacts, after OpenSIPS nathelper (`natping_interval`,
 * `ping_nated_only`, `sipping_from`/`sipping_method`, `max_pings_lost`, `ping_threshold`). A NAT
 * forgets an idle UDP mapping after 30–60 s, and then nothing reaches the phone until it registers
 * again; a ping through the mapping every interval keeps it open.
 *
 * Spreading: instead of nathelper's partitions (all pings of a partition at once), every tick sends
 * its share, contacts × tick / interval, walking the location store with a resumable scan — so
 * each binding is pinged about once per interval, no tick sends a burst, and no tick walks the
 * whole store. Nothing is kept per binding except, for a contact that missed a reply, its count
 * of consecutive lost pings (a WeakMap: a refreshed or removed binding takes its count with it).
 *
 * TCP bindings (OpenSIPS nathelper `natping_tcp`, off by default): a TCP NAT mapping lives as long
 * as its connection, so the ping goes on the connection the contact registered through and never
 * opens one (nathelper sets `tcp_no_new_conn` while it pings) — a connection from us would not get
 * through the phone's NAT, and would keep nothing open. A binding without a live connection is
 * skipped and counted, not counted as a lost ping: nothing reached the phone, so nothing was learnt
 * of it (OpenSIPS files the ping before its send fails, so there it does count as lost).
 */
import type { Counter, CounterFactory } from '../../lib/counter.ts';
import { nullCounters } from '../../lib/counter.ts';
import type { Clock, Random, TimerHandle, Timers } from '../../lib/time.ts';
import type { SipMessage } from '../message/index.ts';
import type { Binding } from './binding.ts';
import type { BindingScan, LocationStore } from './location-store.ts';
import { DEFAULT_NAT_PING_REPLY_TIMEOUT_MS, MAX_OUTSTANDING_NAT_PINGS, NAT_PING_TICK_MS } from './limits.ts';
import { CRLF_KEEPALIVE, NAT_PING_BRANCH_PREFIX, buildOptionsPing, pingAddressOf, tcpPeerOf, type PingAddress } from './nat-ping-request.ts';

export type NatPingMethod = 'options' | 'crlf';

export interface NatPingConfig {
  /** Each binding is pinged about once per this many seconds (OpenSIPS natping_interval); > 0. */
  readonly intervalSec: number;
  /** `options`: SIP OPTIONS (nathelper SIP pinging); `crlf`: CRLFCRLF, a datagram or on the connection (RFC 5626 §4.4.1). */
  readonly method: NatPingMethod;
  /** Ping TCP bindings too, on their live connection only (natping_tcp); false by default. */
  readonly tcp?: boolean;
  /** Only bindings with a `received` (registered from another address than their Contact): ping_nated_only. */
  readonly natedOnly: boolean;
  /** From URI of OPTIONS pings (sipping_from). */
  readonly from: string;
  /** Consecutive unanswered OPTIONS after which the binding is removed; 0 never removes (max_pings_lost). */
  readonly maxPingsLost: number;
  /** How long an OPTIONS waits for its reply before it counts as lost (ping_threshold). */
  readonly replyTimeoutMs?: number;
  readonly tickMs?: number;
  readonly maxOutstanding?: number;
}

/** Our socket a ping leaves from (for TCP, the listener the REGISTER came in on): what Via says of it. */
export interface PingSocket {
  readonly address: string;
  readonly port: number;
  /** `host:port` for Via (the advertised address when the listener has one). */
  readonly sentBy: string;
}

/** What sending on an existing connection gave: `refused` when the transport would not take it. */
export type ConnectionSendResult = 'sent' | 'no-connection' | 'refused';

/** The node side of the pinger (src/app): its sockets and the transport. */
export interface NatPingOutput {
  /**
   * The socket to ping from: the one `socket` names (`udp:ip:port` or `tcp:ip:port`, where the
   * REGISTER came in), or any UDP socket of ours of the address family when the binding has no
   * socket (loaded, added by MI). Undefined when `socket` is not ours (a binding replicated from
   * the node that pings it) or the node has no such socket.
   */
  socketFor(socket: string, ipv6: boolean): PingSocket | undefined;
  /** Sends one datagram from `from` to `to`; false when the transport refused it. */
  send(from: PingSocket, to: PingAddress, data: Buffer): boolean;
  /** Writes on the established TCP connection to `to`; never opens one. */
  sendOnConnection(to: PingAddress, data: Buffer): ConnectionSendResult;
}

export interface NatPingerOptions {
  readonly store: LocationStore;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly out: NatPingOutput;
  readonly config: NatPingConfig;
  readonly counters?: CounterFactory;
  /** A binding removed after `lost` unanswered pings (the node logs it). */
  readonly onRemoved?: (b: Binding, lost: number) => void;
}

interface Outstanding {
  readonly binding: Binding;
  readonly deadlineMs: number;
}

export class NatPinger {
  private readonly cfg: Required<NatPingConfig>;
  private readonly scan: BindingScan;
  /** OPTIONS awaiting a reply, by branch, in send order: deadlines grow with it, so expiry reads from the front. */
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly lost = new WeakMap<Binding, number>();
  /** Visits owed to the walk, times the interval in ms: grows by contacts × tick each tick, spent interval per visit. */
  private budget = 0;
  private timer: TimerHandle | undefined = undefined;
  /** Tokens: a per-process part (nodes and restarts do not collide) and a counter. */
  private readonly salt: string;
  private seq = 0;
  private readonly sent: Counter;
  private readonly replies: Counter;
  private readonly lostPings: Counter;
  private readonly removed: Counter;
  private readonly sendFailed: Counter;
  private readonly untracked: Counter;
  private readonly notConnected: Counter;
  private readonly visitFn = (b: Binding): void => { this.visit(b); };

  constructor(private readonly o: NatPingerOptions) {
    const c = o.config;
    if (!(Number.isInteger(c.intervalSec) && c.intervalSec > 0)) throw new RangeError(`NAT ping interval must be a positive integer of seconds, got ${c.intervalSec}`);
    this.cfg = {
      intervalSec: c.intervalSec, method: c.method, natedOnly: c.natedOnly, from: c.from, maxPingsLost: c.maxPingsLost, tcp: c.tcp ?? false,
      replyTimeoutMs: c.replyTimeoutMs ?? DEFAULT_NAT_PING_REPLY_TIMEOUT_MS,
      tickMs: c.tickMs ?? NAT_PING_TICK_MS,
      maxOutstanding: c.maxOutstanding ?? MAX_OUTSTANDING_NAT_PINGS,
    };
    this.scan = o.store.scan();
    this.salt = Array.from(o.random.bytes(4), (x) => x.toString(16).padStart(2, '0')).join('');
    const k = o.counters ?? nullCounters;
    // OpenSIPS nathelper has no statistics for its pings: these are ours, in its group.
    this.sent = k.counter('nathelper:pings_sent', 'NAT keep-alive pings sent (OPTIONS or CRLF)');
    this.replies = k.counter('nathelper:ping_replies', 'replies to OPTIONS pings received in time (any status)');
    this.lostPings = k.counter('nathelper:pings_lost', 'OPTIONS pings unanswered within the reply timeout');
    this.removed = k.counter('nathelper:contacts_removed', 'bindings removed after maxPingsLost unanswered pings');
    this.sendFailed = k.counter('nathelper:ping_send_failures', 'pings the transport refused');
    this.untracked = k.counter('nathelper:untracked_pings', 'OPTIONS pings sent while too many awaited a reply: not followed');
    this.notConnected = k.counter('nathelper:tcp_not_connected', 'TCP bindings not pinged: no live connection to the peer (a ping never opens one)');
  }

  /** Starts ticking; the first pings go out one tick from now (a start never sends a burst). */
  start(): void {
    if (this.timer !== undefined) return;
    this.schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** OPTIONS pings awaiting their reply. */
  outstandingCount(): number {
    return this.outstanding.size;
  }

  /**
   * A response that matched no transaction: true when it answers one of our pings (then it must go
   * no further — not forwarded statelessly, RFC 3261 §16.7 would send it up a Via that is our own).
   * Any status counts as alive, as in nathelper: the phone answered through the NAT.
   */
  receiveResponse(res: SipMessage): boolean {
    const branch = res.topVia.branch;
    if (branch === undefined || !branch.startsWith(NAT_PING_BRANCH_PREFIX)) return false;
    const p = this.outstanding.get(branch);
    if (p !== undefined && res.cseq.method === 'OPTIONS') {
      this.outstanding.delete(branch);
      this.replies.inc();
      this.lost.delete(p.binding);
    }
    // A reply after its deadline, or a retransmitted one, is ours too: dropped here.
    return true;
  }

  /** One tick: expire overdue pings, then send this tick's share. Public for tests. */
  tick(): void {
    this.expire(this.o.clock.nowMs());
    const total = this.o.store.contactCount();
    const intervalMs = this.cfg.intervalSec * 1000;
    // In binding·milliseconds, integers: 1/interval of the store per tick, with no rounding drift.
    this.budget += total * this.cfg.tickMs;
    // Never more than every binding in one tick (the walk wraps at most once), and no saving up.
    if (this.budget > total * intervalMs) this.budget = total * intervalMs;
    let want = Math.floor(this.budget / intervalMs);
    this.budget -= want * intervalMs;
    let wrapped = false;
    while (want > 0) {
      const got = this.scan.next(want, this.visitFn);
      want -= got;
      if (want > 0) {
        if (wrapped) break;
        wrapped = true;
      }
    }
  }

  private schedule(): void {
    this.timer = this.o.timers.after(this.cfg.tickMs, () => {
      // The next tick is set first: one that throws (a bug, logged by the node) does not end the pinging.
      this.schedule();
      this.tick();
    });
  }

  private visit(b: Binding): void {
    const nowSec = Math.floor(this.o.clock.wallMs() / 1000);
    if (b.expiresSec !== 0 && b.expiresSec <= nowSec) return;
    if (this.cfg.natedOnly && b.received === undefined) return;
    // Another node took this REGISTER: only its address is in the phone's NAT mapping, so only it
    // pings (and may remove) the contact, whatever the socket text says (0.0.0.0 on every node).
    if (!this.o.store.ownedHere(b)) return;
    // Registered through edge proxies (Path): they face the NAT and keep it open, not us.
    if (b.path !== undefined) return;
    // A binding without socket is taken for UDP: with no connection to name, TCP has nothing to use.
    const tcp = b.socket.startsWith('tcp:');
    if (tcp ? !this.cfg.tcp : b.socket !== '' && !b.socket.startsWith('udp:')) return;
    const to = tcp ? tcpPeerOf(b) : pingAddressOf(b);
    if (to === undefined) return;
    const from = this.o.out.socketFor(b.socket, to.address.includes(':'));
    if (from === undefined) return;
    if (this.cfg.method === 'crlf') {
      this.transmit(from, to, CRLF_KEEPALIVE, tcp);
      return;
    }
    const token = `${this.salt}${(this.seq++).toString(36)}`;
    const branch = `${NAT_PING_BRANCH_PREFIX}${token}`;
    let data: Buffer;
    try {
      data = buildOptionsPing({ contact: b.contact, sentBy: from.sentBy, transport: tcp ? 'TCP' : 'UDP', branch, token, from: this.cfg.from });
    } catch {
      // A Contact the builder refuses (stored before a stricter check, or added by hand) costs its
      // own ping, not the rest of this tick's.
      this.sendFailed.inc();
      return;
    }
    // A TCP reply comes back on the connection and is matched by branch as a UDP one is.
    if (!this.transmit(from, to, data, tcp)) return;
    if (this.outstanding.size >= this.cfg.maxOutstanding) { this.untracked.inc(); return; }
    this.outstanding.set(branch, { binding: b, deadlineMs: this.o.clock.nowMs() + this.cfg.replyTimeoutMs });
  }

  private transmit(from: PingSocket, to: PingAddress, data: Buffer, tcp: boolean): boolean {
    if (tcp) {
      const r = this.o.out.sendOnConnection(to, data);
      if (r === 'no-connection') { this.notConnected.inc(); return false; }
      if (r === 'refused') { this.sendFailed.inc(); return false; }
    } else if (!this.o.out.send(from, to, data)) {
      this.sendFailed.inc();
      return false;
    }
    this.sent.inc();
    return true;
  }

  /** Pings past their deadline count as lost; maxPingsLost in a row remove the binding. */
  private expire(nowMs: number): void {
    for (const [branch, p] of this.outstanding) {
      if (p.deadlineMs > nowMs) return;
      this.outstanding.delete(branch);
      this.lostPings.inc();
      const max = this.cfg.maxPingsLost;
      if (max === 0) continue;
      const b = p.binding;
      const n = (this.lost.get(b) ?? 0) + 1;
      if (n < max) { this.lost.set(b, n); continue; }
      this.lost.delete(b);
      // The store's own delete: listeners (replication, persistence) hear of it; false when the
      // phone re-registered meanwhile (then it is a new binding, alive).
      if (this.o.store.remove(b)) {
        this.removed.inc();
        this.o.onRemoved?.(b, n);
      }
    }
  }
}
