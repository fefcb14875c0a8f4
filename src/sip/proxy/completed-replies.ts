/**
 * Transactions whose last state only absorbs or repeats, kept compact.
 *
 * Once a transaction has its final answer, what is left of it for a fixed time is tiny:
 * - a non-INVITE server transaction in Completed (RFC 3261 §17.2.2) resends its final response to
 *   each retransmission of the request until timer J (64·T1 over UDP);
 * - an INVITE server transaction in Accepted (RFC 6026 §8.7) absorbs retransmissions of the INVITE
 *   until timer L (64·T1), and its client side in Accepted (RFC 6026 §8.4) passes each
 *   retransmitted 2xx up until timer M (64·T1), which a proxy forwards upstream (§16.7 step 5);
 * - a non-INVITE client transaction in Completed (§17.1.2.2) absorbs response retransmissions until
 *   timer K (T4 over UDP).
 * Kept whole (request, parsed headers, the script's objects, the state machines, their timers),
 * 1 000 calls a second hold 32 000 calls' worth of objects for 32 s and the garbage collector's time
 * with them (Kamailio and OpenSIPS keep a transaction for their 5 s wait timer). Here each such state
 * hands its table key and the few bytes it still needs to an entry below and the rest is freed; the
 * entry acts exactly as the machine would for the rest of its time.
 *
 * Expiry needs no per-entry timer: every entry of one store lives the same time, so entries go into
 * the current bucket and a bucket is dropped once it is older than that time (one timer tick per
 * bucket while the store is not empty). An entry thus lives between its time and its time + one bucket.
 */
import { ByteSlabs } from '../../lib/byte-slabs.ts';
import type { TimerHandle, Timers } from '../../lib/time.ts';
import { ownString, type SipMessage } from '../message/index.ts';
import { stripTopVia, type ResponseEdits } from './forward-builder.ts';
import type { ReplyHook } from './client-branch.ts';
import type { ProxyCounters } from './proxy-counters.ts';
import type { ClientMatch, ServerMatch } from './proxy-env.ts';
import type { BranchInfo } from './proxy-types.ts';
import { runReplyHooks, type ReplyObserver } from './reply-hooks.ts';
import type { SipOutput, SipSource, SipTarget } from './sip-source.ts';

/** Bucket width: 1/32 of the lifetime (1 s for 64·T1 with T1 = 500 ms) keeps the overshoot small. */
const BUCKETS_PER_LIFETIME = 32;

/** The table an entry stands in; it is removed from it on expiry unless something replaced it. */
interface Table {
  get(key: string): unknown;
  delete(key: string): boolean;
}

/** An entry standing in for a transaction machine under `key` in `table`. */
export interface CompactEntry {
  readonly key: string;
  readonly table: Table;
}

/** §17.2.2 Completed: "the server transaction MUST pass the final response to the transport layer for retransmission". */
export class CompletedReply implements ServerMatch, CompactEntry {
  constructor(readonly key: string, readonly table: Table, private readonly out: SipOutput, private readonly target: SipTarget, private readonly bytes: Buffer) {}

  receiveRetransmission(): void {
    this.out.send(this.target, this.bytes);
  }
}

/**
 * RFC 6026 §8.7 Accepted (INVITE server transaction after a 2xx): retransmissions of the INVITE are
 * absorbed; the ACK of the 2xx is end to end and does not match it (§17.2.3, sip-proxy receiveAck);
 * a CANCEL still gets its 200 (§16.10: the response context exists) and changes nothing.
 */
export class AcceptedInvite implements ServerMatch, CompactEntry {
  constructor(readonly key: string, readonly table: Table) {}

  receiveRetransmission(): void {}
}

/**
 * RFC 6026 §8.4 Accepted (INVITE client transaction after a 2xx): a retransmitted 2xx is passed up,
 * and the proxy forwards it upstream without its top Via (§16.7 step 5: every 2xx goes up).
 * Other responses are absorbed.
 *
 * A 2xx with another To tag is a new dialog (a forking proxy downstream, RFC 3261 §13.2.2.4), not
 * a retransmission: while the branch's hooks are kept (ReplyHooksLease) it runs the script's
 * observer and reply hook as the branch's first 2xx did, and its own retransmissions get what the
 * hook changed in it. A retransmission of a 2xx already forwarded gets its dialog's edits again
 * without the hook.
 */
export class AcceptedBranch implements ClientMatch, CompactEntry {
  /** Dialogs whose first 2xx came after the branch's own first, with what the hook changed in each. */
  private later: LaterDialog[] | undefined = undefined;

  constructor(
    readonly key: string, readonly table: Table,
    private readonly out: SipOutput, private readonly upstream: SipTarget, private readonly counters: ProxyCounters,
    /** What the reply hook changed in the first 2xx (fix_nated_contact / _sdp): its retransmissions get it too. */
    private readonly edits: ResponseEdits | undefined,
    /** The branches' hooks by this entry's key, while leased (absent: the branch had none). */
    private readonly leases: ReadonlyMap<string, ReplyHooksLease>,
  ) {}

  receive(res: SipMessage, src?: SipSource): void {
    if (res.status < 200 || res.status >= 300) return;
    this.counters.fwdReplies.inc();
    this.out.send(this.upstream, stripTopVia(res, undefined, this.editsFor(res, src)));
  }

  private editsFor(res: SipMessage, src: SipSource | undefined): ResponseEdits | undefined {
    const tag = res.to.tag;
    const e = this.edits;
    if (e !== undefined && e.toTag === tag) return e;
    const later = this.later;
    if (later !== undefined) for (const d of later) if (d.toTag === tag) return d.edits;
    // Only a branch with hooks has a lease (one map look-up for a 2xx without edits otherwise).
    const lease = this.leases.size === 0 ? undefined : this.leases.get(this.key);
    if (lease === undefined || tag === lease.toTag) return undefined;
    // A new dialog: the hook reads where this response came from (fix_nated_contact).
    const b = lease.branch;
    b.responseSource = src;
    const edits = runReplyHooks(lease.observe, lease.hook, res, b, this.counters);
    (this.later ??= []).push({ toTag: tag === undefined ? undefined : ownString(tag), edits });
    return edits;
  }
}

/**
 * The script's hooks of a branch compacted in Accepted, for the 2xx of a new dialog
 * (AcceptedBranch), kept in their own map for T4 (5 s), as long as OpenSIPS and Kamailio keep a
 * transaction after its final (tm wt_timer, 5 s): a later 2xx matches no transaction there and goes
 * on without the branch's onreply_route. The hooks hold the script's objects for the request (its
 * context, the request, the transaction), which compaction frees for the rest of timer M's 32 s.
 */
export class ReplyHooksLease implements CompactEntry {
  /** To tag of the 2xx the branch went Accepted with: a 2xx with it is no new dialog. */
  readonly toTag: string | undefined;

  constructor(
    readonly key: string, readonly table: Table,
    /** The branch as the hook sees it; its source is set to that of the response at hand. */
    readonly branch: HookedBranch,
    readonly observe: ReplyObserver | undefined,
    readonly hook: ReplyHook | undefined,
    toTag: string | undefined,
  ) {
    // Of its own: a slice would keep the whole 2xx's header text for the lease's life.
    this.toTag = toTag === undefined ? undefined : ownString(toTag);
  }
}

/** A dialog whose first 2xx a compacted branch forwarded after its own first. */
interface LaterDialog {
  readonly toTag: string | undefined;
  readonly edits: ResponseEdits | undefined;
}

/** The branch the hook is given, whose source is that of the response at hand. */
export interface HookedBranch extends BranchInfo {
  responseSource: SipSource | undefined;
}

/** §17.1.2.2 Completed (non-INVITE client transaction): "any retransmissions of the final response ... are absorbed". */
export class CompletedBranch implements ClientMatch, CompactEntry {
  constructor(readonly key: string, readonly table: Table) {}

  receive(): void {}
}

/** A store of compact entries that all live `lifetimeMs`. */
export class CompactStates {
  private current: CompactEntry[] = [];
  private readonly old: CompactEntry[][] = [];
  private timer: TimerHandle | undefined;
  private count = 0;
  private readonly bucketMs: number;
  private readonly slabs = new ByteSlabs();

  constructor(
    private readonly timers: Timers,
    lifetimeMs: number,
    /** Called once per entry that expired (its transaction has ended: tm:inuse_transactions). */
    private readonly onExpired: () => void,
  ) {
    this.bucketMs = Math.max(1, lifetimeMs / BUCKETS_PER_LIFETIME);
  }

  /**
   * A copy of bytes an entry keeps for its lifetime (a Completed final), not a view: a view of a
   * received datagram or of Node's buffer pool would keep the whole store alive (byte-slabs.ts).
   */
  keep(bytes: Uint8Array): Buffer {
    return this.slabs.keep(bytes);
  }

  /** Entries held (each is one transaction in its last state). */
  get size(): number { return this.count; }

  /** Takes over the rest of a transaction's life; the caller has put `e` in its table under its key. */
  hold(e: CompactEntry): void {
    this.current.push(e);
    this.count++;
    this.timer ??= this.timers.after(this.bucketMs, () => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    this.old.push(this.current);
    this.current = [];
    // A bucket closed at tick n holds entries adopted in (n-1, n]: after BUCKETS_PER_LIFETIME more
    // ticks the youngest of them is at least the lifetime old.
    while (this.old.length > BUCKETS_PER_LIFETIME) this.expire(this.old.shift() as CompactEntry[]);
    if (this.count > 0) this.timer = this.timers.after(this.bucketMs, () => this.tick());
  }

  private expire(bucket: readonly CompactEntry[]): void {
    for (const e of bucket) {
      this.count--;
      if (e.table.get(e.key) === e) e.table.delete(e.key);
      this.onExpired();
    }
  }

  /** Drops everything (node shutdown). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const b of [...this.old, this.current]) for (const e of b) if (e.table.get(e.key) === e) e.table.delete(e.key);
    this.old.length = 0;
    this.current = [];
    this.count = 0;
  }
}
