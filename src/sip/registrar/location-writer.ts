import type { Counter, CounterFactory } from '../../lib/counter.ts';
import type { Binding } from './binding.ts';
import type { LocationPersistence, PersistenceChange, PersistenceMode } from './ports.ts';

/**
 * Carries location changes to a LocationPersistence in one of OpenSIPS usrloc's modes.
 * write-through: changes are written in the order they happen, one write at a time (a change made
 * while a write runs joins the next one: group commit); `settled()` lets the REGISTER path wait
 * for what was issued so far before answering 200 (OpenSIPS db_mode 1 writes before replying),
 * and not for writes issued after it. write-back: changes are coalesced per contact id and written
 * by `flush()` (db_mode 2's timer), so a contact refreshed ten times between flushes costs one row
 * write. A failed write is counted and reported; in write-back mode its changes go back in the
 * queue unless a newer change superseded them.
 *
 * One write at a time matters: the repositories upsert as UPDATE then INSERT, so two writes of one
 * contact running at once could leave the older state (an insert finishing after the delete that
 * followed it brought a removed binding back at the next start).
 */
export class LocationWriter {
  private readonly pending = new Map<bigint, PersistenceChange>();
  /** write-through: the changes the next write will carry, until it starts. */
  private next: PersistenceChange[] | undefined;
  /** write-through: settles when the last write issued has (never rejects). */
  private tail: Promise<void> = Promise.resolve();
  private unsettled = 0;
  private readonly writes: Counter;
  private readonly failures: Counter;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly persistence: LocationPersistence,
    private readonly mode: Exclude<PersistenceMode, 'none'>,
    counters: CounterFactory,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {
    this.writes = counters.counter('usrloc:db_writes', 'location changes written to the database');
    this.failures = counters.counter('usrloc:db_write_errors', 'location writes the database refused');
  }

  upsert(b: Binding): void {
    this.submit({ op: 'upsert', binding: b }, b.contactId);
  }

  delete(b: Binding): void {
    this.submit({ op: 'delete', aor: b.aor, contactId: b.contactId }, b.contactId);
  }

  /** Write-through changes issued and not yet written (or failed). */
  inFlight(): number {
    return this.unsettled;
  }

  /** Changes queued for the next write-back flush. */
  queued(): number {
    return this.pending.size;
  }

  private submit(change: PersistenceChange, id: bigint): void {
    if (this.mode === 'write-back') {
      // Map insertion order is kept on overwrite only for existing keys; delete first so the
      // newest change of a contact is written after older changes of other contacts.
      this.pending.delete(id);
      this.pending.set(id, change);
      return;
    }
    this.unsettled++;
    if (this.next !== undefined) {
      this.next.push(change);
      return;
    }
    const batch = [change];
    this.next = batch;
    this.tail = this.tail.then(() => {
      // The write starts: later changes go to the write after this one.
      if (this.next === batch) this.next = undefined;
      return this.persistence.write(batch).then(() => this.done(batch), (e: unknown) => this.failed(e, batch.length));
    }).finally(() => { this.unsettled -= batch.length; });
  }

  private done(changes: readonly PersistenceChange[]): void {
    this.writes.inc(changes.length);
    for (const c of changes) if (c.op === 'upsert') c.binding.state = 'sync';
  }

  private failed(error: unknown, count: number): void {
    this.failures.inc(count);
    this.onError?.(error);
  }

  /** Settles once the write-through changes issued so far are written (or failed); later ones are not waited for. */
  settled(): Promise<void> {
    return this.tail;
  }

  /**
   * Writes everything queued (write-back). A flush already running is joined, then what was
   * queued meanwhile is written too: a caller (the node stopping) gets every change made before it
   * asked.
   */
  flush(): Promise<void> {
    if (this.mode !== 'write-back') return this.settled();
    if (this.flushing !== undefined) return this.flushing.then(() => this.flush());
    if (this.pending.size === 0) return Promise.resolve();
    const batch = [...this.pending.entries()];
    this.pending.clear();
    const changes = batch.map(([, c]) => c);
    this.flushing = this.persistence.write(changes).then(
      () => this.done(changes),
      (e: unknown) => {
        this.failed(e, changes.length);
        for (const [id, c] of batch) if (!this.pending.has(id)) this.pending.set(id, c);
      },
    ).finally(() => { this.flushing = undefined; });
    return this.flushing;
  }
}
