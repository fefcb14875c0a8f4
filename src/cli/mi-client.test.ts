import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wordsToParams } from './mi-client.ts';

test('MI words: positional or key=value, JSON-looking values parsed', () => {
  assert.deepEqual(wordsToParams(['location', 'alice@example.com']), ['location', 'alice@example.com']);
  assert.deepEqual(wordsToParams(['table_name=location', 'aor=alice@example.com']), { table_name: 'location', aor: 'alice@example.com' });
  assert.deepEqual(wordsToParams(['1', 'true', '[1,2]']), [1, true, [1, 2]]);
  assert.throws(() => wordsToParams(['a', 'b=c']), /either all as key=value or all positional/);
});

test('statistics:get, list and reset take their words as one array of names, as opensips-cli sends them', () => {
  assert.deepEqual(wordsToParams(['usrloc:', 'registrar:'], 'statistics:get'), [['usrloc:', 'registrar:']]);
  assert.deepEqual(wordsToParams(['all'], 'get_statistics'), [['all']]);
  assert.deepEqual(wordsToParams(['core:'], 'statistics:reset'), [['core:']]);
  assert.deepEqual(wordsToParams(['["core:"]'], 'statistics:get'), [['core:']], 'a JSON array is still taken as it is');
  assert.deepEqual(wordsToParams(['usrloc:'], 'usrloc:dump'), ['usrloc:']);
});
