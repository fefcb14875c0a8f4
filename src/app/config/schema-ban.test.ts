import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

test('banList: absent means off; an empty section takes the defaults', () => {
  assert.equal(parseConfigText('').banList, undefined);
  assert.deepEqual(parseConfigText('banList: {}').banList, {
    enabled: true, maxFailures: 10, windowMs: 60_000, banMs: 3_600_000, action: 'reject', trustedNetworks: [],
  });
});

test('banList: bad values are reported with their paths', () => {
  try {
    parseConfigText('banList: { maxFailures: 0, action: block, trustedNetworks: [10.0.0.0/8, 10.0.0.0/40], colour: red }');
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const paths = e.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['banList.action', 'banList.colour', 'banList.maxFailures', 'banList.trustedNetworks.1']);
  }
});
