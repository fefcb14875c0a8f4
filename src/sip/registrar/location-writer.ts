import type { Counter, CounterFactory } from '../../lib/counter.ts';
import type { Binding } from './binding.ts';
import type { LocationPersistence, PersistenceChange, PersistenceMode } from './ports.ts';

/**
 * Carries location changes to a LocationPersistence in one of OpenSIPS usrloc's modes.
 * write-through: each change is written at once; `settled()` lets the REGISTER path wait for
 * it before answering 200 (OpenSIPS db_mode 1 writes before replying). write-back: changes are
 * coalesced per contact id and written by `flush()` (db_mode 2's timer), so a contact refreshed
 * ten times between flushes costs one row write. A failed write is counted and reported; in
 * write-back mode its changes go back in the queue unless a newer change superseded them.
 */
export class LocationWriter {
  private readonly pending = new Map<bigint, PersistenceChange>();
  private readonly writing = new Set<Promise<void>>();
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

  /** Write-through writes issued and not yet settled. */
  inFlight(): number {
    return this.writing.size;
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
    this.track(this.persistence.write([change]).then(() => this.done([change]), (e: unknown) => this.failed(e, 1)));
  }

  private track(p: Promise<void>): void {
    this.writing.add(p);
    void p.finally(() => this.writing.delete(p));
  }

  private done(changes: readonly PersistenceChange[]): void {
    this.writes.inc(changes.length);
    for (const c of changes) if (c.op === 'upsert') c.binding.state = 'sync';
  }

  private failed(error: unknown, count: number): void {
    this.failures.inc(count);
    this.onError?.(error);
  }

  async settled(): Promise<void> {
    while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
  }

  /** Writes everything queued (write-back); concurrent calls share one write. */
  flush(): Promise<void> {
    if (this.mode !== 'write-back') return this.settled();
    if (this.flushing !== undefined) return this.flushing;
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
