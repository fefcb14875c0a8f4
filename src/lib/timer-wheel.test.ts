import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-time.ts';
import { TimerWheel } from './timer-wheel.ts';

test('timers fire in tick order (insertion order within a tick), never early and at most one tick late', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock, 10, 8);
  const fired: Array<[string, number]> = [];
  for (const [name, ms] of [['a', 500], ['b', 15], ['c', 32000], ['d', 95], ['e', 0]] as const) {
    wheel.after(ms, () => fired.push([name, clock.nowMs()]));
  }
  clock.advance(40_000);
  assert.deepEqual(fired.map((f) => f[0]), ['e', 'b', 'd', 'a', 'c']);
  const due: Record<string, number> = { a: 500, b: 15, c: 32000, d: 95, e: 0 };
  for (const [name, at] of fired) {
    assert.ok(at >= (due[name] as number), `${name} fired early at ${at}`);
    assert.ok(at <= (due[name] as number) + 10, `${name} fired late at ${at}`);
  }
  assert.equal(wheel.size(), 0);
  assert.equal(clock.pendingCount(), 0, 'an idle wheel holds no underlying timer');
});

test('cancelled timers never fire; timers set from a callback work', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock);
  let fired = 0;
  const h = wheel.after(100, () => { fired += 100; });
  wheel.after(50, () => { wheel.after(50, () => { fired += 1; }); });
  h.cancel();
  clock.advance(1000);
  assert.equal(fired, 1);
});

test('one underlying timer carries many wheel timers', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock);
  let n = 0;
  for (let i = 0; i < 50_000; i++) wheel.after(500 + (i % 32_000), () => { n++; });
  assert.equal(clock.pendingCount(), 1);
  clock.advance(40_000);
  assert.equal(n, 50_000);
});

test('a blocked event loop catches up on every missed slot', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock, 10, 16);
  const fired: number[] = [];
  wheel.after(20, () => fired.push(20));
  wheel.after(300, () => fired.push(300));
  clock.advance(0);
  // Simulate a 1 s block: the underlying timer fires late, once.
  clock.advance(1000);
  assert.deepEqual(fired, [20, 300]);
});

test('a cancelled timer lets go of its callback at once, not when its slot comes round (32 s later for timer J)', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock);
  const big = { payload: new Array(10).fill('x') };
  const ref = new WeakRef(big);
  let h: { cancel(): void } | undefined = wheel.after(32_000, () => { void big.payload; });
  h.cancel();
  h = undefined;
  // The entry still sits in the wheel (counted until swept); what it points to must not be the callback.
  assert.equal(wheel.size(), 1);
  const entries = (wheel as unknown as { slots: Array<Array<{ fn: () => void }>> }).slots.flat();
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.fn.toString().includes('payload'), false, 'the callback (and its closure) is released');
  assert.ok(ref.deref() !== undefined);
});

test('a timer set from a firing callback is placed from the next slot, never a revolution late', () => {
  // "Timers fire no earlier than due and at most one tick late", also when set inside a tick:
  // the last pending timer's callback (the wheel idle), a callback at a slot's exact end, and a
  // delay of a whole number of revolutions (512 × 10 ms).
  const cases: Array<{ name: string; keepBusy: boolean; delay: number }> = [
    { name: 'idle wheel, after(0)', keepBusy: false, delay: 0 },
    { name: 'idle wheel, after(10)', keepBusy: false, delay: 10 },
    { name: 'busy wheel, after(0)', keepBusy: true, delay: 0 },
    { name: 'busy wheel, one revolution', keepBusy: true, delay: 5120 },
    { name: 'idle wheel, two revolutions', keepBusy: false, delay: 10_240 },
  ];
  for (const c of cases) {
    const clock = new FakeClock();
    const wheel = new TimerWheel(clock, clock);
    let setAt = -1;
    let firedAt = -1;
    if (c.keepBusy) wheel.after(60_000, () => {});
    wheel.after(500, () => { setAt = clock.nowMs(); wheel.after(c.delay, () => { firedAt = clock.nowMs(); }); });
    clock.advance(30_000);
    assert.ok(firedAt >= setAt + c.delay && firedAt <= setAt + c.delay + 10, `${c.name}: set at ${setAt}, fired at ${firedAt}`);
  }
});

test('a callback that throws is reported to onError; the timers due with it and later still fire', () => {
  const clock = new FakeClock();
  const errors: unknown[] = [];
  const wheel = new TimerWheel(clock, clock, 10, 8, (err) => errors.push(err));
  const fired: string[] = [];
  wheel.after(20, () => fired.push('a'));
  wheel.after(20, () => { throw new Error('boom'); });
  wheel.after(20, () => fired.push('b'));
  wheel.after(500, () => fired.push('c'));
  assert.doesNotThrow(() => clock.advance(1000));
  assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(errors.length, 1);
  assert.equal(wheel.size(), 0);
});

test('without onError the error is rethrown after the tick, and the wheel keeps its other timers', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock, 10, 8);
  const fired: string[] = [];
  wheel.after(20, () => { throw new Error('boom'); });
  wheel.after(20, () => fired.push('same tick'));
  wheel.after(500, () => fired.push('later'));
  assert.throws(() => clock.advance(100), /boom/);
  assert.deepEqual(fired, ['same tick']);
  clock.advance(1000);
  assert.deepEqual(fired, ['same tick', 'later']);
});

/** The FakeClock's timers, counting how often the wheel's underlying timer runs. */
function countingBase(clock: FakeClock) {
  const seen = { fires: 0 };
  const base = {
    after: (delayMs: number, fn: () => void) => clock.after(delayMs, () => { seen.fires++; fn(); }),
  };
  return { base, seen };
}

test('the underlying timer is aimed at the next slot holding a timer, not at every tick: a lone timer 32 s away wakes the wheel once a revolution', () => {
  const clock = new FakeClock();
  const { base, seen } = countingBase(clock);
  const wheel = new TimerWheel(clock, base, 10, 512); // a revolution is 5.12 s
  let firedAt = -1;
  wheel.after(32_000, () => { firedAt = clock.nowMs(); });
  clock.advance(40_000);
  assert.ok(firedAt >= 32_000 && firedAt <= 32_010, `fired at ${firedAt}`);
  // Before: 3 200 wake-ups (one per 10 ms tick); now one per revolution and the one it fires in.
  assert.ok(seen.fires <= 8, `${seen.fires} wake-ups`);
});

test('a timer set while the wheel sleeps toward a far slot is not late: the underlying timer is aimed again', () => {
  const clock = new FakeClock();
  const { base, seen } = countingBase(clock);
  const wheel = new TimerWheel(clock, base, 10, 512);
  wheel.after(4_000, () => {});
  clock.advance(1_000);
  let firedAt = -1;
  wheel.after(25, () => { firedAt = clock.nowMs(); });
  clock.advance(1_000);
  assert.ok(firedAt >= 1_025 && firedAt <= 1_035, `fired at ${firedAt}`);
  // A later round's entry counts down where its slot comes first, sooner than its due time.
  const fired: number[] = [];
  wheel.after(12_000, () => fired.push(clock.nowMs()));
  clock.advance(20_000);
  assert.equal(fired.length, 1);
  assert.ok((fired[0] as number) >= 14_000 && (fired[0] as number) <= 14_010, `fired at ${fired[0]}`);
  assert.ok(seen.fires < 20, `${seen.fires} wake-ups`);
});

test('the wheel asks its underlying timer for whole milliseconds, rounded up: a fractional wait made Node wake it a fraction early, for nothing', () => {
  let now = 0.37;
  const clock = { nowMs: () => now, wallMs: () => now };
  const asked: Array<{ ms: number; fn: () => void }> = [];
  const wheel = new TimerWheel(clock, { after: (ms: number, fn: () => void) => { asked.push({ ms, fn }); return { cancel: () => {} }; } }, 10, 64);
  let fired = 0;
  wheel.after(5, () => { fired++; });
  wheel.after(25, () => { fired++; });
  // The underlying timer runs a little late, as a busy event loop makes it.
  now = 10.5;
  asked[asked.length - 1]?.fn();
  assert.equal(fired, 1);
  now = 30.4;
  asked[asked.length - 1]?.fn();
  assert.equal(fired, 2);
  assert.ok(asked.length >= 2);
  for (const { ms } of asked) assert.ok(Number.isInteger(ms), `asked for ${ms} ms`);
});

test('an underlying timer that fires a hair before its slot ends (Node\'s whole-millisecond timers against performance.now) does not cost a timer due at the slot\'s end a whole revolution', () => {
  const clock = new FakeClock();
  const early = { after: (ms: number, fn: () => void) => clock.after(Math.max(0, ms - 0.0005), fn) };
  const wheel = new TimerWheel(clock, early, 10, 512);
  let firedAt = -1;
  wheel.after(500, () => { firedAt = clock.nowMs(); });
  clock.advance(10_000);
  assert.ok(firedAt >= 500 && firedAt <= 511, `due 500, fired at ${firedAt}`);
});

test('an onError that throws itself: the other due timers still fire, the error comes out after the tick, and the wheel keeps ticking', () => {
  const clock = new FakeClock();
  const wheel = new TimerWheel(clock, clock, 10, 64, () => { throw new Error('logger failed'); });
  const fired: string[] = [];
  wheel.after(5, () => { wheel.after(100, () => fired.push('set from the throwing callback')); throw new Error('bug'); });
  wheel.after(5, () => fired.push('due with it'));
  wheel.after(300, () => fired.push('later'));
  assert.throws(() => clock.advance(10), /logger failed/);
  clock.advance(10_000);
  assert.deepEqual(fired, ['due with it', 'set from the throwing callback', 'later']);
  assert.equal(wheel.size(), 0);
});
