import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

test('cdr: absent means off; a writer takes the defaults', () => {
  assert.equal(parseConfigText('').cdr, undefined);
  assert.deepEqual(parseConfigText('cdr: { role: writer }').cdr, {
    role: 'writer', spoolMaxBytes: 10_485_760, spoolFsync: true, requestTimeoutMs: 2000, retryMinMs: 500, retryMaxMs: 30_000,
    maxInFlight: 16, maxCallMs: 43_200_000, setupTimeoutMs: 200_000, maxCalls: 100_000,
  });
});

test('cdr: a sender without writerNodeId and bad values are reported with their paths', () => {
  try {
    parseConfigText('cdr: { role: sender, spoolMaxBytes: 0, retryMinMs: 1000, retryMaxMs: 10, colour: red }');
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const paths = e.problems.map((p) => p.path).sort();
    // Every problem at once, the cross-field ones included.
    assert.deepEqual(paths, ['cdr.colour', 'cdr.retryMaxMs', 'cdr.spoolMaxBytes', 'cdr.writerNodeId'], JSON.stringify(e.problems));
  }
});
