/**
 * The sender's side of the CDR writer: every finished call is spooled first (so a crash of this
 * node loses nothing already spooled), then sent to the writer node as a cluster request, and
 * removed from the spool only when the writer answered with the row id. A timeout, an unreachable
 * writer or a transient write failure puts the machine in backoff (exponential, capped); after
 * it, one probe goes out, and only when it is answered does the full window of requests resume.
 * A retry after a lost reply is safe: the writer's insert is idempotent on (Call-ID, From tag,
 * To tag) and answers the first row's id again.
 *
 *   idle ──submit──▶ sending ──failure──▶ backoff ──timer / writer up──▶ probing ──answer──▶ sending
 *                       ▲                    ▲                              │
 *                       └── any answer ──────┴──────── failure ─────────────┘
 *
 * Pure: time only through the injected Timers; the send and the spool are ports.
 */
import type { Counter, CounterFactory, Gauge } from '../../lib/counter.ts';
import type { TimerHandle, Timers } from '../../lib/time.ts';
import type { CallRecord } from './call-record.ts';
import { encodeCdr, type CdrReply } from './cdr-codec.ts';
import type { CdrSpool, SpoolAppend, SpoolEntry } from './cdr-spool.ts';

/** What one delivery attempt came to. */
export type DeliveryAnswer =
  | { readonly kind: 'written'; readonly id: number }
  /** The writer refused the text for good (malformed, unsupported version): retrying cannot help. */
  | { readonly kind: 'refused'; readonly code: string }
  /** No answer in time, writer unreachable, or a write that may succeed later. */
  | { readonly kind: 'retry'; readonly reason: string };

/** Writer refusals that no retry can fix; every other CDRERR code is retried. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set(['FEATURE_CDR_MALFORMED', 'FEATURE_CDR_TOO_LARGE', 'FEATURE_CDR_VERSION']);

/** Maps the writer's reply (undefined: none in time, or not a CDR reply) to a delivery answer. */
export function answerOf(reply: CdrReply | undefined, noReplyReason = 'no reply in time'): DeliveryAnswer {
  if (reply === undefined) return { kind: 'retry', reason: noReplyReason };
  if (reply.ok) return { kind: 'written', id: reply.id };
  return PERMANENT_CODES.has(reply.code) ? { kind: 'refused', code: reply.code } : { kind: 'retry', reason: reply.code };
}

export interface DeliveryParams {
  /** Requests outstanding at once while the writer answers. */
  readonly maxInFlight: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

export interface DeliveryLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface DeliveryDeps {
  readonly spool: CdrSpool;
  /** One attempt: the request to the writer and its reply (never rejects; a rejection counts as 'retry'). */
  readonly send: (text: string) => Promise<DeliveryAnswer>;
  readonly timers: Timers;
  readonly counters: CounterFactory;
  readonly log: DeliveryLog;
}

export type DeliveryState = 'idle' | 'sending' | 'backoff' | 'probing';

export class CdrDelivery {
  private stateNow: DeliveryState = 'idle';
  private readonly inFlight = new Set<string>();
  private failures = 0;
  /** The entry the last probe sent: the next probe takes the one after it (see pump). */
  private lastProbed: string | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private readonly spooled: Counter;
  private readonly refusedBySpool: Counter;
  private readonly spoolErrors: Counter;
  private readonly delivered: Counter;
  private readonly attempts: Counter;
  private readonly retries: Counter;
  private readonly rejected: Counter;
  private readonly spoolCount: Gauge;
  private readonly spoolBytes: Gauge;

  constructor(readonly params: DeliveryParams, private readonly deps: DeliveryDeps) {
    const c = deps.counters;
    this.spooled = c.counter('cdr:spooled', 'CDRs written to the spool');
    this.refusedBySpool = c.counter('cdr:spool_refused', 'CDRs refused because the spool was full (each one logged at warn with its text)');
    this.spoolErrors = c.counter('cdr:spool_errors', 'CDRs the spool could not store (I/O error; logged with their text)');
    this.delivered = c.counter('cdr:delivered', 'CDRs the writer node confirmed (row id received)');
    this.attempts = c.counter('cdr:requests', 'CDR requests sent to the writer, retries included');
    this.retries = c.counter('cdr:retries', 'CDR requests that got no answer in time or a transient failure');
    this.rejected = c.counter('cdr:rejected', 'CDRs the writer refused for good (logged with their text, then dropped)');
    this.spoolCount = c.gauge('cdr:spool_count', 'CDRs waiting in the spool');
    this.spoolBytes = c.gauge('cdr:spool_bytes', 'bytes of the CDRs waiting in the spool');
    this.updateGauges();
  }

  get state(): DeliveryState {
    return this.stateNow;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Spools a finished call and starts delivering it. Resolves with the spool's verdict. */
  async submit(r: CallRecord): Promise<SpoolAppend> {
    const text = encodeCdr(r);
    const res = await this.deps.spool.append(text);
    if (res.ok) {
      this.spooled.inc();
      this.updateGauges();
      this.pump();
      return res;
    }
    if (res.code === 'FEATURE_CDR_SPOOL_FULL') {
      this.refusedBySpool.inc();
      this.deps.log.warn('CDR spool full: CDR refused (kept only in this log line)', { code: res.code, reason: res.message, cdr: text });
    } else {
      this.spoolErrors.inc();
      this.deps.log.error('CDR spool write failed: CDR not spooled (kept only in this log line)', { code: res.code, reason: res.message, cdr: text });
    }
    return res;
  }

  /** Sends what the spool holds (at start, after a restart of this node). */
  start(): void {
    this.pump();
  }

  /** The writer came back (node up): skip the rest of the backoff and probe now. */
  retryNow(): void {
    if (this.stateNow !== 'backoff') return;
    this.timer?.cancel();
    this.timer = undefined;
    this.stateNow = 'probing';
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private pump(): void {
    if (this.stopped || this.stateNow === 'backoff') return;
    if (this.stateNow === 'probing') {
      this.probe();
      return;
    }
    const limit = this.params.maxInFlight;
    for (const e of this.deps.spool.pending()) {
      if (this.inFlight.size >= limit) break;
      if (!this.inFlight.has(e.id)) this.sendOne(e);
    }
    if (this.inFlight.size === 0) this.stateNow = 'idle';
    else if (this.stateNow === 'idle') this.stateNow = 'sending';
  }

  /**
   * After a failure, one CDR at a time tells whether the writer answers again. Probes go round the
   * spool rather than always sending its oldest entry: a CDR the writer keeps refusing as
   * retryable (a row its database cannot store) would otherwise hold every CDR behind it until the
   * spool filled and new ones were lost. It stays in the spool and is tried again each round.
   */
  private probe(): void {
    if (this.inFlight.size > 0) return;
    let first: SpoolEntry | undefined;
    let next: SpoolEntry | undefined;
    let passed = this.lastProbed === undefined;
    for (const e of this.deps.spool.pending()) {
      first ??= e;
      if (passed) { next = e; break; }
      if (e.id === this.lastProbed) passed = true;
    }
    const e = next ?? first;
    if (e === undefined) {
      this.stateNow = 'idle';
      return;
    }
    this.lastProbed = e.id;
    this.sendOne(e);
  }

  private sendOne(e: SpoolEntry): void {
    this.inFlight.add(e.id);
    this.attempts.inc();
    let p: Promise<DeliveryAnswer>;
    try {
      p = this.deps.send(e.text);
    } catch (err) {
      p = Promise.resolve({ kind: 'retry', reason: String(err) });
    }
    p.then(undefined, (err: unknown) => ({ kind: 'retry', reason: String(err) }) as DeliveryAnswer)
      .then((a) => this.answered(e, a));
  }

  private async answered(e: SpoolEntry, a: DeliveryAnswer): Promise<void> {
    if (a.kind === 'retry') {
      this.inFlight.delete(e.id);
      this.retries.inc();
      this.failed(a.reason);
      return;
    }
    if (a.kind === 'written') this.delivered.inc();
    else {
      this.rejected.inc();
      this.deps.log.warn('the CDR writer refused a CDR for good; dropped from the spool (kept only in this log line)', { code: a.code, cdr: e.text });
    }
    // Still in flight until it is off the spool, so no pump in between sends it again.
    try {
      await this.deps.spool.remove(e.id);
    } catch (err) {
      this.deps.log.error('could not remove a delivered CDR from the spool (it will be sent again after a restart; the writer keeps one row)', { id: e.id, err: String(err) });
    }
    this.inFlight.delete(e.id);
    this.updateGauges();
    if (this.stateNow !== 'sending' && this.stateNow !== 'idle') {
      this.deps.log.info('CDR writer answers again; delivering the spool', { spooled: this.deps.spool.status().count });
    }
    this.failures = 0;
    this.timer?.cancel();
    this.timer = undefined;
    this.stateNow = 'sending';
    this.pump();
  }

  private failed(reason: string): void {
    if (this.stopped || this.stateNow === 'backoff') return;
    this.failures += 1;
    const delayMs = Math.min(this.params.retryMaxMs, this.params.retryMinMs * 2 ** Math.min(this.failures - 1, 30));
    if (this.failures === 1) this.deps.log.warn('CDR writer not answering; CDRs stay in the spool', { reason, retryInMs: delayMs, spooled: this.deps.spool.status().count });
    this.stateNow = 'backoff';
    this.timer = this.deps.timers.after(delayMs, () => {
      this.timer = undefined;
      this.stateNow = 'probing';
      this.pump();
    });
  }

  private updateGauges(): void {
    const s = this.deps.spool.status();
    this.spoolCount.set(s.count);
    this.spoolBytes.set(s.bytes);
  }
}
