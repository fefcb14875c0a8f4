import type { Clock, TimerHandle, Timers } from './time.ts';

/** Tick of the wheel: RFC 3261 timers are multiples of T1 = 500 ms, 10 ms is plenty. */
export const DEFAULT_WHEEL_TICK_MS = 10;
/** Slots per revolution (power of two); 512 × 10 ms = 5.12 s, longer timers wait extra rounds. */
export const DEFAULT_WHEEL_SLOTS = 512;

const NOTHING = (): void => {};

class WheelEntry implements TimerHandle {
  cancelled = false;
  constructor(readonly dueMs: number, public fn: () => void, public rounds: number) {}
  cancel(): void {
    this.cancelled = true;
    // A cancelled entry stays in its slot until the cursor sweeps it (up to the timer's whole
    // delay, 32 s for timer J); it must not keep its callback's closure (a transaction, its
    // request) alive that long.
    this.fn = NOTHING;
  }
}

/**
 * A hashed timer wheel (Varghese & Lauck) that multiplexes any number of timers onto one
 * underlying timer, so tens of thousands of SIP transactions never cost one `setTimeout` each
 * (DESIGN.md §8). Insert and cancel are O(1); a tick touches only its slot. Timers fire no earlier
 * than due and at most one tick late, plus the rounding below (under a millisecond). While nothing
 * is pending, no underlying timer runs; while something is, the underlying timer is aimed at the
 * first slot that holds an entry, not at every tick: a node whose only timers are seconds away
 * (timer J, a stateless tag's memory) wakes when they come due (or once a revolution for those more
 * than a revolution away), not 100 times a second. The wait asked for is whole milliseconds,
 * rounded up: Node's timers count whole milliseconds, and a fractional wait woke the wheel a
 * fraction early, to find nothing due and sleep again for 1 ms (two wake-ups per tick, seen with
 * strace on an idle node).
 */
export class TimerWheel implements Timers {
  private readonly slots: WheelEntry[][];
  private readonly mask: number;
  /** Index of the slot the next tick processes, and the time that slot ends. */
  private cursor = 0;
  private cursorEndMs: number;
  private live = 0;
  private ticking: TimerHandle | undefined;
  /** The end time of the slot the underlying timer (ticking) is aimed at. */
  private tickingAtMs = 0;
  /** Inside onTick: the cursor is in use, the idle restart in after() must not move it. */
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly base: Timers,
    private readonly tickMs = DEFAULT_WHEEL_TICK_MS,
    slotCount = DEFAULT_WHEEL_SLOTS,
    /**
     * Told of a callback that threw. The wheel goes on with the other due timers either way: one
     * faulty callback must neither end the process from the underlying timer nor drop the timers
     * due in the same tick. Without it, the error is rethrown once the tick is done.
     */
    private readonly onError?: (err: unknown) => void,
  ) {
    if ((slotCount & (slotCount - 1)) !== 0) throw new RangeError('slotCount must be a power of two');
    this.slots = Array.from({ length: slotCount }, () => []);
    this.mask = slotCount - 1;
    this.cursorEndMs = clock.nowMs() + tickMs;
  }

  /** Timers scheduled and not yet fired or cancelled (cancelled ones are counted until swept). */
  size(): number {
    return this.live;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    if (this.live === 0 && this.ticking === undefined && !this.running) {
      // Idle wheel: restart the cursor at the present so we do not replay empty slots.
      this.cursorEndMs = this.clock.nowMs() + this.tickMs;
    }
    const dueMs = this.clock.nowMs() + Math.max(0, delayMs);
    const ticksAhead = Math.max(0, Math.ceil((dueMs - this.cursorEndMs) / this.tickMs));
    const rounds = Math.floor(ticksAhead / this.slots.length);
    const entry = new WheelEntry(dueMs, fn, rounds);
    (this.slots[(this.cursor + ticksAhead) & this.mask] as WheelEntry[]).push(entry);
    this.live++;
    // The slot's first visit (a later round's entry is counted down there) may come before the
    // one the underlying timer is aimed at: aim again.
    if (this.ticking !== undefined && this.cursorEndMs + (ticksAhead & this.mask) * this.tickMs < this.tickingAtMs) {
      this.ticking.cancel();
      this.ticking = undefined;
    }
    this.ensureTicking();
    return entry;
  }

  private ensureTicking(): void {
    // Inside onTick the cursor is moving: onTick aims the timer once it is done.
    if (this.ticking !== undefined || this.live === 0 || this.running) return;
    // The first slot from the cursor that holds anything (cancelled entries too: they are swept
    // there). There is one within a revolution, since live > 0.
    let ahead = 0;
    while (ahead < this.mask && (this.slots[(this.cursor + ahead) & this.mask] as WheelEntry[]).length === 0) ahead++;
    this.tickingAtMs = this.cursorEndMs + ahead * this.tickMs;
    const wait = Math.max(0, Math.ceil(this.tickingAtMs - this.clock.nowMs()));
    this.ticking = this.base.after(wait, () => this.onTick());
  }

  private onTick(): void {
    this.ticking = undefined;
    const now = this.clock.nowMs();
    this.running = true;
    let failed: { err: unknown } | undefined;
    try {
      // Catch up on every slot whose time has passed (the event loop may have been busy).
      while (this.cursorEndMs <= now + 0.001 && this.live > 0) {
        const due = this.takeDue(now);
        // The cursor moves on before the callbacks run: a timer they set is placed from the next
        // slot, never in the one just swept (it would wait a whole revolution there).
        this.cursor = (this.cursor + 1) & this.mask;
        this.cursorEndMs += this.tickMs;
        if (due === undefined) continue;
        for (const e of due) {
          this.live--;
          if (e.cancelled) continue;
          try {
            e.fn();
          } catch (err) {
            if (this.onError === undefined) failed ??= { err };
            else {
              // An onError that throws too costs neither the other due timers nor the wheel.
              try { this.onError(err); } catch (again) { failed ??= { err: again }; }
            }
          }
        }
      }
    } finally {
      this.running = false;
      // Even when something above threw: live timers keep an underlying timer.
      this.ensureTicking();
    }
    if (failed !== undefined) throw failed.err;
  }

  /** Takes the cursor's slot's due entries out (undefined when none), sweeps cancelled ones, counts rounds down. */
  private takeDue(now: number): WheelEntry[] | undefined {
    const slot = this.slots[this.cursor] as WheelEntry[];
    if (slot.length === 0) return undefined;
    let due: WheelEntry[] | undefined;
    let keep = 0;
    const next = this.slots[(this.cursor + 1) & this.mask] as WheelEntry[];
    for (const e of slot) {
      if (e.cancelled) { this.live--; continue; }
      if (e.rounds > 0) { e.rounds--; slot[keep++] = e; continue; }
      if (e.dueMs > now) {
        // Its slot was reached within the 0.001 ms slack, a hair before the entry is due (Node's
        // whole-millisecond timers fire up to 1 ms early against performance.now()): it goes to
        // the next slot. Kept here, it waited a whole revolution (5.12 s).
        if (next === slot) slot[keep++] = e;
        else next.push(e);
        continue;
      }
      (due ??= []).push(e);
    }
    slot.length = keep;
    return due;
  }
}
