/**
 * The spool port: where a sender keeps CDRs until the writer node confirmed them. The delivery
 * machine (cdr-delivery.ts) only sees this interface; src/app provides the disk spool (one file
 * per CDR, survives a restart) and MemorySpool below serves tests and nodes without `spoolDir`.
 * Every spool is bounded in bytes: an append that would pass the bound is refused with
 * FEATURE_CDR_SPOOL_FULL (the caller counts and logs it; nothing is dropped silently).
 */
export interface SpoolEntry {
  /** Stable for the entry's life (the disk spool's file name). */
  readonly id: string;
  readonly text: string;
  /** What the entry counts against the bound. */
  readonly bytes: number;
  /** When it was spooled (wall clock, ms). */
  readonly wallMs: number;
}

export type SpoolAppend =
  | { readonly ok: true; readonly entry: SpoolEntry }
  | { readonly ok: false; readonly code: 'FEATURE_CDR_SPOOL_FULL' | 'FEATURE_CDR_SPOOL_IO'; readonly message: string };

export interface SpoolStatus {
  readonly count: number;
  readonly bytes: number;
  readonly maxBytes: number;
  /** Wall time of the oldest entry, undefined when empty. */
  readonly oldestWallMs: number | undefined;
}

export interface CdrSpool {
  append(text: string): Promise<SpoolAppend>;
  /** Forgets an entry (delivered, or refused for good by the writer). Unknown ids are ignored. */
  remove(id: string): Promise<void>;
  /** Entries oldest first. */
  pending(): Iterable<SpoolEntry>;
  status(): SpoolStatus;
}

/**
 * The bookkeeping every spool shares: entries in append order (a Map keeps insertion order and
 * deletes in O(1)), the byte total, and the bound.
 */
export class SpoolIndex {
  private readonly entries = new Map<string, SpoolEntry>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** Text size plus the newline the disk spool writes after it. */
  static bytesOf(text: string): number {
    return Buffer.byteLength(text, 'utf8') + 1;
  }

  fits(bytes: number): boolean {
    return this.total + bytes <= this.maxBytes;
  }

  /** Adds unconditionally (a restart reloads what is on disk even past a lowered bound). */
  add(e: SpoolEntry): void {
    if (this.entries.has(e.id)) return;
    this.entries.set(e.id, e);
    this.total += e.bytes;
  }

  delete(id: string): boolean {
    const e = this.entries.get(id);
    if (e === undefined) return false;
    this.entries.delete(id);
    this.total -= e.bytes;
    return true;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  values(): Iterable<SpoolEntry> {
    return this.entries.values();
  }

  status(): SpoolStatus {
    const first = this.entries.values().next();
    return { count: this.entries.size, bytes: this.total, maxBytes: this.maxBytes, oldestWallMs: first.done === true ? undefined : first.value.wallMs };
  }
}

/** A spool in memory: bounded like the disk one, gone with the process. */
export class MemorySpool implements CdrSpool {
  private readonly index: SpoolIndex;
  private seq = 0;

  constructor(maxBytes: number, private readonly wallMs: () => number) {
    this.index = new SpoolIndex(maxBytes);
  }

  append(text: string): Promise<SpoolAppend> {
    const bytes = SpoolIndex.bytesOf(text);
    if (!this.index.fits(bytes)) {
      return Promise.resolve({ ok: false, code: 'FEATURE_CDR_SPOOL_FULL', message: `spool holds ${this.index.status().bytes} of ${this.index.maxBytes} bytes` });
    }
    this.seq += 1;
    const entry: SpoolEntry = { id: `m${this.seq}`, text, bytes, wallMs: this.wallMs() };
    this.index.add(entry);
    return Promise.resolve({ ok: true, entry });
  }

  remove(id: string): Promise<void> {
    this.index.delete(id);
    return Promise.resolve();
  }

  pending(): Iterable<SpoolEntry> {
    return this.index.values();
  }

  status(): SpoolStatus {
    return this.index.status();
  }
}
