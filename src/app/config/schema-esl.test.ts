import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';
import { DEFAULT_HEADERS } from '../../features/esl/index.ts';

test('esl: absent means off; the defaults are FreeSWITCH\'s (127.0.0.1:8021, ClueCon)', () => {
  assert.equal(parseConfigText('').esl, undefined);
  assert.deepEqual(parseConfigText('esl: { events: [CHANNEL_CREATE, "CUSTOM conference::maintenance"] }').esl, {
    enabled: true, host: '127.0.0.1', port: 8021, password: 'ClueCon', events: ['CHANNEL_CREATE', 'CUSTOM conference::maintenance'],
    format: 'json', headers: [...DEFAULT_HEADERS], maxMessageBytes: 8192, maxEventBytes: 262_144,
    reconnectMinMs: 1000, reconnectMaxMs: 30_000, handshakeTimeoutMs: 5000,
  });
  assert.equal(parseConfigText('esl: { events: [ALL], headers: all }').esl?.headers, 'all');
});

test('esl: bad values are reported with their paths', () => {
  try {
    parseConfigText('esl: { events: [channel_create, "CUSTOM"], format: xml, password: "a\\nb", maxMessageBytes: 70000, colour: red }');
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const paths = e.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['esl.colour', 'esl.events.0', 'esl.events.1', 'esl.format', 'esl.maxMessageBytes', 'esl.password']);
  }
  assert.throws(() => parseConfigText('esl: { events: [] }'), ConfigError);
  assert.throws(() => parseConfigText('esl: { events: [ALL], reconnectMinMs: 5000, reconnectMaxMs: 1000 }'), /reconnectMaxMs/);
});
