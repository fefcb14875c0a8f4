import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatisticsRegistry } from './statistics.ts';

test('statistics:get selects all, a group or a name, as OpenSIPS does', () => {
  const s = new StatisticsRegistry();
  s.counter('core:rcv_requests').inc(3);
  s.counter('sip:dropped_malformed').inc();
  s.gauge('clusterer:nodes').set(2);
  s.computedGauge('usrloc:location-contacts', () => 7);
  assert.deepEqual(s.get(['all']), {
    'core:rcv_requests': 3, 'sip:dropped_malformed': 1, 'clusterer:nodes': 2, 'usrloc:location-contacts': 7,
  });
  assert.deepEqual(s.get(['sip:', 'usrloc:location-contacts', 'nope:nothing']), {
    'sip:dropped_malformed': 1, 'usrloc:location-contacts': 7,
  });
});

test('the same name gives the same counter; reset clears counters but not gauges', () => {
  const s = new StatisticsRegistry();
  s.counter('core:x').inc();
  s.counter('core:x').inc();
  s.gauge('core:g').set(5);
  assert.equal(s.get(['core:x'])['core:x'], 2);
  s.reset(['core:x', 'core:g']);
  assert.deepEqual(s.get(['core:']), { 'core:x': 0, 'core:g': 5 });
});

test('names must be group:name and a name cannot change kind', () => {
  const s = new StatisticsRegistry();
  assert.throws(() => s.counter('nogroup'));
  s.counter('core:k');
  assert.throws(() => s.gauge('core:k'));
});
