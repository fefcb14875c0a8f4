import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

const CLUSTER = 'cluster: { nodeId: 1, clusterId: 7, listen: "bin:127.0.0.1:5601" }\n';

test('maps: absent means none; a map takes the defaults', () => {
  assert.deepEqual(parseConfigText('').maps, []);
  assert.deepEqual(parseConfigText(`${CLUSTER}maps: [{ name: conference }]`).maps, [
    { name: 'conference', defaultTtlMs: 60_000, maxEntries: 100_000, askTimeoutMs: 1000 },
  ]);
});

test('maps: bad names, TTLs, unknown keys, a map without a cluster or in another cluster are reported with their paths', () => {
  const paths = (text: string): string[] => {
    try {
      parseConfigText(text);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.map((p) => p.path).sort();
    }
    return assert.fail('expected a ConfigError');
  };
  const p = paths(`${CLUSTER}maps: [{ name: "con:f", defaultTtlMs: 10, colour: red }]`);
  assert.deepEqual(p, ['maps.0.colour', 'maps.0.defaultTtlMs', 'maps.0.name']);
  assert.deepEqual(paths(`${CLUSTER}maps: [{ name: a, clusterId: 8 }, { name: a }]`), ['maps.0.clusterId', 'maps.1.name']);
  assert.deepEqual(paths('maps: [{ name: a }]'), ['maps.0']);
});
