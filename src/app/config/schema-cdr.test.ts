import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

/** What cdr: needs beside it: a cluster (CDRs travel as cluster requests) and a routing script (it accounts calls). */
const CLUSTER = 'cluster: { nodeId: 2, listen: "bin:127.0.0.1:5602" }\n';
const ROUTES = 'routes: { module: routes.ts }\n';

function problemsOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseConfigText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return [...e.problems];
  }
  return assert.fail('expected a ConfigError');
}

test('cdr: absent means off; a writer takes the defaults', () => {
  assert.equal(parseConfigText('').cdr, undefined);
  assert.deepEqual(parseConfigText(`${CLUSTER}${ROUTES}cdr: { role: writer }`).cdr, {
    role: 'writer', spoolMaxBytes: 10_485_760, spoolFsync: true, requestTimeoutMs: 2000, retryMinMs: 500, retryMaxMs: 30_000,
    maxInFlight: 16, maxCallMs: 43_200_000, setupTimeoutMs: 200_000, maxCalls: 100_000,
  });
  assert.equal(parseConfigText(`${CLUSTER}${ROUTES}cdr: { role: sender, writerNodeId: 1 }`).cdr?.writerNodeId, 1);
});

test('cdr: a sender without writerNodeId and bad values are reported with their paths', () => {
  const paths = problemsOf(`${CLUSTER}${ROUTES}cdr: { role: sender, spoolMaxBytes: 0, retryMinMs: 1000, retryMaxMs: 10, colour: red }`).map((p) => p.path).sort();
  // Every problem at once, the cross-field ones included.
  assert.deepEqual(paths, ['cdr.colour', 'cdr.retryMaxMs', 'cdr.spoolMaxBytes', 'cdr.writerNodeId']);
});

test('cdr: without cluster: or without routes: is reported at cdr, with the section it needs, at config check time', () => {
  const noCluster = problemsOf(`${ROUTES}cdr: { role: writer }`);
  assert.deepEqual(noCluster.map((p) => p.path), ['cdr']);
  assert.match(noCluster[0]?.message ?? '', /`cluster:`/);
  const noRoutes = problemsOf(`${CLUSTER}cdr: { role: writer }`);
  assert.deepEqual(noRoutes.map((p) => p.path), ['cdr']);
  assert.match(noRoutes[0]?.message ?? '', /`routes:`/);
  const neither = problemsOf('cdr: { role: writer }');
  assert.deepEqual(neither.map((p) => p.message.match(/`\w+:`/)?.[0]).sort(), ['`cluster:`', '`routes:`']);
  // Along with the section's own problems, not instead of them.
  assert.deepEqual(problemsOf('cdr: { role: writer, maxInFlight: 0 }').map((p) => p.path).sort(), ['cdr', 'cdr', 'cdr.maxInFlight']);
});

test('cdr: a sender whose writerNodeId is this node is reported at cdr.writerNodeId', () => {
  const problems = problemsOf(`${CLUSTER}${ROUTES}cdr: { role: sender, writerNodeId: 2 }`);
  assert.deepEqual(problems.map((p) => p.path), ['cdr.writerNodeId']);
  assert.match(problems[0]?.message ?? '', /this node.*role: writer/);
});

test('cdr: a node id above 65535 (a CDR carries 16 bits of it) is reported at cluster.nodeId, for senders and writers', () => {
  for (const cdr of ['cdr: { role: sender, writerNodeId: 2 }', 'cdr: { role: writer }']) {
    const problems = problemsOf(`cluster: { nodeId: 70000, listen: "bin:127.0.0.1:5602" }\n${ROUTES}${cdr}`);
    assert.deepEqual(problems.map((p) => p.path), ['cluster.nodeId'], cdr);
    assert.match(problems[0]?.message ?? '', /65535/);
  }
  assert.equal(parseConfigText(`cluster: { nodeId: 65535, listen: "bin:127.0.0.1:5602" }\n${ROUTES}cdr: { role: writer }`).cluster?.nodeId, 65535);
});
