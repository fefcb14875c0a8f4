import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import { MAX_STATELESS_TAG_ENTRY_CHARS, StatelessReplyTags } from './stateless-reply-tags.ts';

test('a tag is remembered for between one and two generations, with one timer while anything is held', () => {
  const clock = new FakeClock();
  const tags = new StatelessReplyTags(clock, 1_000, 8);
  assert.equal(clock.pendingCount(), 0, 'no timer while empty');
  tags.remember('inv-a', 'x1');
  clock.advance(500);
  tags.remember('inv-b', 'x2');
  assert.equal(clock.pendingCount(), 1, 'one timer for all entries');
  assert.equal(tags.matches('inv-a', 'x1'), true);
  assert.equal(tags.matches('inv-a', 'x2'), false, 'the tag of that INVITE, not any remembered tag');
  assert.equal(tags.matches('inv-c', 'x1'), false);
  clock.advance(1_499);
  assert.equal(tags.matches('inv-a', 'x1'), true, 'at 1999 ms: within two generations');
  assert.equal(tags.matches('inv-b', 'x2'), true, '1499 ms old: more than one generation');
  clock.advance(1);
  assert.equal(tags.size, 0);
  assert.equal(tags.matches('inv-b', 'x2'), false);
  assert.equal(clock.pendingCount(), 0, 'the timer stops with the memory empty');
});

test('size-bounded: a full generation starts the next at once, dropping the oldest; at most two generations are held', () => {
  const clock = new FakeClock();
  const tags = new StatelessReplyTags(clock, 1_000, 4);
  for (let i = 0; i < 10; i++) tags.remember(`inv-${i}`, `t${i}`);
  assert.ok(tags.size <= 8, `held ${tags.size}`);
  assert.equal(tags.matches('inv-9', 't9'), true, 'the newest is kept');
  assert.equal(tags.matches('inv-0', 't0'), false, 'the oldest went first');
  assert.equal(clock.pendingCount(), 1);
});

test('byte-bounded: a key and tag longer than MAX_STATELESS_TAG_ENTRY_CHARS together are not remembered (the peer chooses both)', () => {
  const clock = new FakeClock();
  const tags = new StatelessReplyTags(clock, 1_000, 4);
  const long = 'z'.repeat(MAX_STATELESS_TAG_ENTRY_CHARS);
  tags.remember('inv-long', long);
  assert.equal(tags.size, 0);
  assert.equal(tags.matches('inv-long', long), false);
  assert.equal(clock.pendingCount(), 0, 'nothing held, no timer');
  tags.remember('inv-ok', 'z'.repeat(MAX_STATELESS_TAG_ENTRY_CHARS - 'inv-ok'.length));
  assert.equal(tags.size, 1, 'at the limit it is kept');
});
