/**
 * The Completed state of non-INVITE server transactions answered here, kept compact.
 *
 * RFC 3261 §17.2.2: once a non-INVITE server transaction has sent its final response, all it does
 * until timer J fires (64·T1 = 32 s over UDP) is resend that response to each retransmission of
 * the request. A registrar answering 10 000 REGISTERs a second holds 320 000 such transactions;
 * kept whole (request, parsed headers, state machine, timer) they fill the heap and the garbage
 * collector's time (Kamailio and OpenSIPS answer REGISTER statelessly and keep nothing). Here the
 * transaction hands its key, the response bytes and the upstream target to this cache and is
 * freed; the entry answers retransmissions exactly as the machine would.
 *
 * Expiry needs no per-entry timer: every entry lives the same timer J, so entries go into the
 * current bucket and a bucket is dropped once it is older than timer J (one timer tick per bucket
 * while the cache is not empty). An entry thus lives between timer J and timer J + one bucket.
 */
import type { TimerHandle, Timers } from '../../lib/time.ts';
import type { ServerMatch } from './proxy-env.ts';
import type { SipOutput, SipTarget } from './sip-source.ts';

/** Bucket width: timer J is 64·T1, so 1/32 of it (1 s with T1 = 500 ms) keeps the overshoot small. */
const BUCKETS_PER_LIFETIME = 32;

class CompletedReply implements ServerMatch {
  constructor(readonly key: string, private readonly out: SipOutput, private readonly target: SipTarget, private readonly bytes: Buffer) {}

  /** §17.2.2: "the server transaction MUST pass the final response to the transport layer for retransmission". */
  receiveRetransmission(): void {
    this.out.send(this.target, this.bytes);
  }
}

export class CompletedReplies {
  private current: CompletedReply[] = [];
  private readonly old: CompletedReply[][] = [];
  private timer: TimerHandle | undefined;
  private count = 0;
  private readonly bucketMs: number;

  constructor(
    private readonly servers: Map<string, ServerMatch>,
    private readonly out: SipOutput,
    private readonly timers: Timers,
    /** Timer J over UDP. */
    private readonly lifetimeMs: number,
    /** Called once per entry that expired (the transaction has ended: tm:inuse_transactions). */
    private readonly onExpired: () => void,
  ) {
    this.bucketMs = Math.max(1, lifetimeMs / BUCKETS_PER_LIFETIME);
  }

  /** Entries held (each is one transaction in Completed state). */
  get size(): number { return this.count; }

  /** Takes over the Completed state of the transaction under `key`; its table entry now answers from here. */
  adopt(key: string, target: SipTarget, bytes: Buffer): void {
    const e = new CompletedReply(key, this.out, target, bytes);
    this.servers.set(key, e);
    this.current.push(e);
    this.count++;
    this.timer ??= this.timers.after(this.bucketMs, () => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    this.old.push(this.current);
    this.current = [];
    // A bucket closed at tick n holds entries adopted in (n-1, n]: after BUCKETS_PER_LIFETIME more
    // ticks the youngest of them is at least timer J old.
    while (this.old.length > BUCKETS_PER_LIFETIME) this.expire(this.old.shift() as CompletedReply[]);
    if (this.count > 0) this.timer = this.timers.after(this.bucketMs, () => this.tick());
  }

  private expire(bucket: readonly CompletedReply[]): void {
    for (const e of bucket) {
      this.count--;
      if (this.servers.get(e.key) === e) this.servers.delete(e.key);
      this.onExpired();
    }
  }

  /** Drops everything (node shutdown). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const b of [...this.old, this.current]) for (const e of b) if (this.servers.get(e.key) === e) this.servers.delete(e.key);
    this.old.length = 0;
    this.current = [];
    this.count = 0;
  }
}
