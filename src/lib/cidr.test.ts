import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyNetworkContains, networkContains, parseNetwork } from './cidr.ts';

test('IPv4 and IPv6 networks, bare hosts, and IPv4-mapped addresses', () => {
  const n = (t: string) => { const x = parseNetwork(t); assert.ok(x, t); return x; };
  assert.equal(networkContains(n('10.0.0.0/8'), '10.200.1.1'), true);
  assert.equal(networkContains(n('10.0.0.0/8'), '11.0.0.1'), false);
  assert.equal(networkContains(n('127.0.0.1'), '127.0.0.1'), true);
  assert.equal(networkContains(n('127.0.0.1'), '127.0.0.2'), false);
  assert.equal(networkContains(n('127.0.0.0/8'), '::ffff:127.9.9.9'), true);
  assert.equal(networkContains(n('192.168.1.0/25'), '192.168.1.127'), true);
  assert.equal(networkContains(n('192.168.1.0/25'), '192.168.1.128'), false);
  assert.equal(networkContains(n('::1/128'), '::1'), true);
  assert.equal(networkContains(n('2001:db8::/32'), '2001:db8:ffff::5'), true);
  assert.equal(networkContains(n('2001:db8::/32'), '2001:db9::5'), false);
  assert.equal(networkContains(n('0.0.0.0/0'), '8.8.8.8'), true);
  assert.equal(networkContains(n('10.0.0.0/8'), '::1'), false);
  assert.equal(anyNetworkContains([n('10.0.0.0/8'), n('::1')], '::1'), true);
});

test('malformed networks are refused, not guessed', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'host.example', '::1/129', '10.0.0.0/', '10.0.0.0/x', '']) {
    assert.equal(parseNetwork(bad), undefined, bad);
  }
});
