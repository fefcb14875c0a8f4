import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfigText } from './load-config.ts';
import { nodeConfigJsonSchema } from './schema.ts';

function problemsOf(text: string) {
  try {
    parseConfigText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

test('an empty file gives a complete config from the defaults', () => {
  const c = parseConfigText('');
  assert.equal(c.mi.host, '127.0.0.1');
  assert.equal(c.sip.listen[0]?.proto, 'udp');
  assert.equal(c.shutdown.drainTimeoutMs, 5000);
});

test('several problems in one file are reported together, each with its path', () => {
  const problems = problemsOf([
    'mi:',
    '  port: "eighty"',
    '  colour: blue',
    'sip:',
    '  listen:',
    '    - { proto: sctp, host: 127.0.0.1, port: 70000 }',
    '  tcp: { idleTimeoutMs: -1 }',
    'shutdown: { drainTimeoutMs: 1.5 }',
    'extra: true',
  ].join('\n'));
  const paths = problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    'extra', 'mi.colour', 'mi.port', 'shutdown.drainTimeoutMs', 'sip.listen.0.port', 'sip.listen.0.proto', 'sip.tcp.idleTimeoutMs',
  ]);
  assert.match(problems.find((p) => p.path === 'mi.colour')?.message ?? '', /unknown key/);
  assert.match(problems.find((p) => p.path === 'sip.tcp.idleTimeoutMs')?.message ?? '', /milliseconds/);
  assert.match(problems.find((p) => p.path === 'mi.port')?.message ?? '', /number/);
});

test('broken YAML is a ConfigError with the line, not an exception from the parser', () => {
  const problems = problemsOf('mi:\n  port: [1,\n');
  assert.equal(problems.length >= 1, true);
  assert.match(problems[0]?.message ?? '', /YAML line \d+/);
});

test('a YAML alias bomb and out-of-range durations are ConfigErrors naming the problem', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]', ''].join('\n');
  assert.match(problemsOf(bomb)[0]?.message ?? '', /YAML: .*alias/i);
  // Node timers hold at most 2^31-1 ms; a longer one fires after 1 ms.
  const p = problemsOf('shutdown: { drainTimeoutMs: 3000000000 }\n');
  assert.equal(p[0]?.path, 'shutdown.drainTimeoutMs');
  assert.equal(parseConfigText('shutdown: { drainTimeoutMs: 2147483647 }\n').shutdown.drainTimeoutMs, 2147483647);
});

test('duplicate keys are refused', () => {
  const problems = problemsOf('mi: { port: 1 }\nmi: { port: 2 }\n');
  assert.match(problems[0]?.message ?? '', /YAML/);
});

test('the JSON Schema describes the sections and forbids unknown keys', () => {
  const schema = nodeConfigJsonSchema() as { properties: Record<string, unknown>; additionalProperties?: unknown };
  assert.ok('mi' in schema.properties && 'sip' in schema.properties && 'store' in schema.properties);
  assert.equal(schema.additionalProperties, false);
});

test('rules between sections are reported with the rest, each at its path (what `config check` prints)', () => {
  const problems = problemsOf([
    'mi: { port: 70000 }',
    'esl: { events: [ALL] }',
    'cdr: { role: writer }',
    'maps: [{ name: conference }]',
  ].join('\n'));
  assert.deepEqual(problems.map((p) => p.path).sort(), ['cdr', 'cdr', 'esl', 'maps.0', 'mi.port']);
});

test('every example node config passes the check (the cross-section rules included)', () => {
  const root = new URL('../../../examples/', import.meta.url).pathname;
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
  assert.ok(files.length >= 10, `examples found: ${files.join(', ')}`);
  for (const f of files) assert.doesNotThrow(() => loadConfigFile(join(root, f)), f);
});

test('registrar.statelessReplies: off unless asked for, and a boolean only', () => {
  assert.equal(parseConfigText('').registrar.statelessReplies, false);
  assert.equal(parseConfigText('registrar:\n  statelessReplies: true\n').registrar.statelessReplies, true);
  const problems = problemsOf('registrar:\n  statelessReplies: sometimes\n');
  assert.deepEqual(problems.map((p) => p.path), ['registrar.statelessReplies']);
});

test('rules across sections: expiry bounds, the store URL scheme and two sockets on one port are problems with their paths', () => {
  const problems = problemsOf([
    'registrar: { minExpiresSec: 600, maxExpiresSec: 60 }',
    'store: { url: "sqllite:foo.db" }',
    'mi: { host: 127.0.0.1, port: 5079 }',
    'sip:',
    '  listen:',
    '    - { proto: udp, host: 127.0.0.1, port: 5060 }',
    '    - { proto: udp, host: 0.0.0.0, port: 5060 }',
    '    - { proto: tcp, host: 127.0.0.1, port: 5079 }',
    '',
  ].join('\n'));
  const byPath = new Map(problems.map((p) => [p.path, p.message]));
  assert.match(byPath.get('registrar.minExpiresSec') ?? '', /above maxExpiresSec/);
  assert.match(byPath.get('registrar.defaultExpiresSec') ?? '', /above maxExpiresSec/);
  assert.match(byPath.get('store.url') ?? '', /sqllite/);
  assert.match(byPath.get('sip.listen.1') ?? '', /UDP port 5060 .* sip\.listen\[0\]/);
  assert.match(byPath.get('sip.listen.2') ?? '', /TCP port 5079 .* the MI/);
  assert.match(problemsOf('cluster: { clusterId: 1, nodeId: 1, listen: "bin:127.0.0.1:5571", dbMode: 1 }').map((p) => `${p.path}: ${p.message}`).join('\n'), /cluster\.dbMode: .*in-memory/);
  // The same port on different hosts, or UDP and TCP: no clash.
  parseConfigText('sip: { listen: [ { proto: udp, host: 127.0.0.1, port: 5060 }, { proto: tcp, host: 127.0.0.1, port: 5060 }, { proto: udp, host: 127.0.0.2, port: 5060 } ] }');
});

test('files the config names must exist: the routes module and the cluster TLS material, named by their keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-files-'));
  const file = join(dir, 'node.yaml');
  writeFileSync(file, [
    'routes: { module: missing-routes.ts }',
    'cluster:',
    '  clusterId: 1',
    '  nodeId: 1',
    '  listen: "bins:127.0.0.1:5571"',
    '  tls: { keyFile: node.key, certFile: node.crt, caFile: ca.crt }',
    '',
  ].join('\n'));
  try {
    loadConfigFile(file);
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.deepEqual(e.problems.map((p) => p.path), ['routes.module', 'cluster.tls.keyFile', 'cluster.tls.certFile', 'cluster.tls.caFile']);
    assert.match(e.problems[0]?.message ?? '', /missing-routes\.ts/);
  }
});

test('registrar.flushIntervalMs 0 is refused (a write-back flush every loop turn); pathMode takes ignore/off/lazy/strict', () => {
  assert.deepEqual(problemsOf('registrar: { persistence: write-back, flushIntervalMs: 0 }').map((p) => p.path), ['registrar.flushIntervalMs']);
  assert.equal(parseConfigText('registrar: { pathMode: ignore }').registrar.pathMode, 'ignore');
  assert.deepEqual(problemsOf('registrar: { pathMode: never }').map((p) => p.path), ['registrar.pathMode']);
});
