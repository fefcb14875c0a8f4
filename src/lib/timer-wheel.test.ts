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
