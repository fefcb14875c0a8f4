import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

function problemsOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseConfigText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
}

test('cluster: a minimal db_mode 0 node gets the FAST timers and OpenSIPS defaults', () => {
  const c = parseConfigText(['cluster:', '  nodeId: 2', '  listen: bin:127.0.0.1:5572', '  neighbors:', '    - { nodeId: 1, url: "bin:127.0.0.1:5571", flags: [seed] }'].join('\n'));
  assert.ok(c.cluster);
  assert.equal(c.cluster.clusterId, 1);
  assert.equal(c.cluster.dbMode, 0);
  assert.deepEqual([c.cluster.pingIntervalMs, c.cluster.pingTimeoutMs, c.cluster.noPingRetries, c.cluster.nodeTimeoutMs], [200, 350, 1, 2000]);
  assert.deepEqual(c.cluster.neighbors[0]?.flags, ['seed']);
  assert.equal(parseConfigText('').cluster, undefined, 'the section is optional');
});

test('cluster: every problem is reported with its field path', () => {
  const problems = problemsOf([
    'cluster:',
    '  nodeId: 0',
    '  listen: http://x',
    '  dbMode: 2',
    '  pingIntervalMs: -5',
    '  allowNetworks: [10.0.0.0/33]',
    '  neighbors:',
    '    - { nodeId: 4, url: "bin:host-without-port" }',
    '    - { nodeId: 4, url: "bin:127.0.0.1:5574", colour: red }',
  ].join('\n'));
  const paths = problems.map((p) => p.path);
  for (const p of ['cluster.nodeId', 'cluster.listen', 'cluster.dbMode', 'cluster.pingIntervalMs', 'cluster.allowNetworks.0', 'cluster.neighbors.0.url', 'cluster.neighbors.1.colour']) {
    assert.ok(paths.includes(p), `missing ${p} in ${paths.join(', ')}`);
  }
  assert.match(problems.find((p) => p.path === 'cluster.pingIntervalMs')?.message ?? '', /milliseconds/);
});

test('cluster: cross-field rules (bins: needs tls, dbMode 1 takes no neighbors, duplicates, ourselves)', () => {
  const problems = problemsOf([
    'cluster:',
    '  nodeId: 1',
    '  listen: bins:127.0.0.1:5571',
    '  dbMode: 1',
    '  neighbors:',
    '    - { nodeId: 1, url: "bin:127.0.0.1:5572" }',
    '    - { nodeId: 1, url: "bin:127.0.0.1:5573" }',
  ].join('\n'));
  const paths = problems.map((p) => p.path);
  assert.ok(paths.includes('cluster.tls'));
  assert.ok(paths.includes('cluster.neighbors'));
  assert.ok(paths.includes('cluster.neighbors.0.nodeId'));
  assert.ok(paths.includes('cluster.neighbors.1.nodeId'));
});
