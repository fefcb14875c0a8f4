/**
 * The e2e tests run the examples' YAML with picked ports; the rewrite must touch only the fixed
 * ports it names, whatever digits the picked ones happen to contain (CI once started a node with
 * mi.port over 65535: a picked sip port contained the mi prefix's fixed port).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewritePorts } from '../support/example-cluster.ts';

const yaml = [
  'mi: { host: 127.0.0.1, port: 8902 }',
  '    - { proto: udp, host: 127.0.0.1, port: 5092 }',
  '  listen: bin:127.0.0.1:5592',
  '  sipAddress: "sip:127.0.0.1:5092"',
  '    - { nodeId: 1, url: "bin:127.0.0.1:5591", flags: [seed] }',
  '  windowMs: 60000',
].join('\n');
const prefixes = { sip: '509', bin: '559', mi: '890' };

test('picked ports that contain another role\'s fixed port are left alone', () => {
  const ports = [
    { sip: 28901, bin: 25592, mi: 25091 },
    { sip: 28902, bin: 25591, mi: 21234 },
  ];
  const out = rewritePorts(yaml, prefixes, ports);
  assert.equal(out, [
    'mi: { host: 127.0.0.1, port: 21234 }',
    '    - { proto: udp, host: 127.0.0.1, port: 28902 }',
    '  listen: bin:127.0.0.1:25591',
    '  sipAddress: "sip:127.0.0.1:28902"',
    '    - { nodeId: 1, url: "bin:127.0.0.1:25592", flags: [seed] }',
    '  windowMs: 60000',
  ].join('\n'));
});

test('a fixed port of a node without picked ports stays as written', () => {
  const out = rewritePorts(yaml, prefixes, [{ sip: 20001, bin: 20002, mi: 20003 }]);
  assert.match(out, /port: 8902 /);
  assert.match(out, /bin:127\.0\.0\.1:20002"/);
});
