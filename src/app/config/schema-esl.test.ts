import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';
import { DEFAULT_HEADERS } from '../../features/esl/index.ts';

/** The bridge broadcasts to this node's cluster, so a config with esl: on needs one. */
const CLUSTER = 'cluster: { nodeId: 1, clusterId: 3, listen: "bin:127.0.0.1:5601" }\n';

test('esl: absent means off; the defaults are FreeSWITCH\'s (127.0.0.1:8021, ClueCon)', () => {
  assert.equal(parseConfigText('').esl, undefined);
  assert.deepEqual(parseConfigText(`${CLUSTER}esl: { events: [CHANNEL_CREATE, "CUSTOM conference::maintenance"] }`).esl, {
    enabled: true, host: '127.0.0.1', port: 8021, password: 'ClueCon', events: ['CHANNEL_CREATE', 'CUSTOM conference::maintenance'],
    format: 'json', headers: [...DEFAULT_HEADERS], maxMessageBytes: 8192, maxEventBytes: 262_144,
    reconnectMinMs: 1000, reconnectMaxMs: 30_000, handshakeTimeoutMs: 5000,
  });
  assert.equal(parseConfigText(`${CLUSTER}esl: { events: [ALL], headers: all }`).esl?.headers, 'all');
});

test('esl: bad values are reported with their paths', () => {
  try {
    parseConfigText(`${CLUSTER}esl: { events: [channel_create, "CUSTOM"], format: xml, password: "a\\nb", maxMessageBytes: 70000, colour: red }`);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const paths = e.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['esl.colour', 'esl.events.0', 'esl.events.1', 'esl.format', 'esl.maxMessageBytes', 'esl.password']);
  }
  assert.throws(() => parseConfigText(`${CLUSTER}esl: { events: [] }`), ConfigError);
  assert.throws(() => parseConfigText(`${CLUSTER}esl: { events: [ALL], reconnectMinMs: 5000, reconnectMaxMs: 1000 }`), /reconnectMaxMs/);
});

test('esl: an enabled bridge without cluster: is reported at esl at config check time; enabled: false needs no cluster', () => {
  try {
    parseConfigText('esl: { events: [ALL] }');
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems.map((p) => p.path), ['esl']);
    assert.match(e.problems[0]?.message ?? '', /`cluster:`/);
  }
  assert.equal(parseConfigText('esl: { enabled: false, events: [ALL] }').esl?.enabled, false);
});

test('esl: a clusterId other than this node\'s cluster is reported at esl.clusterId (its events would reach no node)', () => {
  try {
    parseConfigText(`${CLUSTER}esl: { events: [ALL], clusterId: 4 }`);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems.map((p) => p.path), ['esl.clusterId']);
    assert.match(e.problems[0]?.message ?? '', /cluster 3 only/);
  }
  assert.equal(parseConfigText(`${CLUSTER}esl: { events: [ALL], clusterId: 3 }`).esl?.clusterId, 3);
});
