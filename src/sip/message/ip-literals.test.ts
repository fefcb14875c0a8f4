import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIpv4Literal, ipv4Octets, isIpv6Literal, sameAddress, unbracketed } from './index.ts';

test('isIpv4Literal is RFC 3261 §25.1 IPv4address: four groups of 1–3 digits, leading zeros allowed, no range check', () => {
  for (const s of ['1.2.3.4', '0.0.0.0', '255.255.255.255', '010.0.0.1', '256.0.0.1', '999.999.999.999']) assert.equal(isIpv4Literal(s), true, s);
  for (const s of ['', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.4.5', '1.2.3.0004', '1.2.3.4:5060', ' 1.2.3.4', 'a.b.c.d', '1.2.3.x', '１.2.3.4', '::1']) {
    assert.equal(isIpv4Literal(s), false, s);
  }
});

test('ipv4Octets: the octets when each is 0–255 (leading zeros read as decimal), else undefined', () => {
  assert.deepEqual(ipv4Octets('192.168.0.1'), [192, 168, 0, 1]);
  assert.deepEqual(ipv4Octets('010.001.0.09'), [10, 1, 0, 9]);
  assert.deepEqual(ipv4Octets('255.255.255.255'), [255, 255, 255, 255]);
  for (const s of ['256.0.0.1', '1.2.3.256', '1.2.3', '1.2.3.4.', '1.2.3.4:5060', '']) assert.equal(ipv4Octets(s), undefined, s);
});

test('isIpv6Literal: a colon and only hex digits, colons and dots (no brackets, no zone)', () => {
  for (const s of ['::1', '2001:db8::7', 'FD00::5', '::ffff:10.0.0.1']) assert.equal(isIpv6Literal(s), true, s);
  for (const s of ['', '1.2.3.4', '[::1]', 'fe80::1%eth0', 'host:5060', 'abc']) assert.equal(isIpv6Literal(s), false, s);
});

test('unbracketed and sameAddress: IPv6 brackets off, case folded; two texts of one IPv6 address equal (RFC 5118 §4.1)', () => {
  assert.equal(unbracketed('[2001:DB8::7]'), '2001:DB8::7');
  assert.equal(unbracketed('192.0.2.1'), '192.0.2.1');
  assert.equal(unbracketed('[::1'), '[::1');
  assert.equal(sameAddress('[2001:DB8::7]', '2001:db8::7'), true);
  assert.equal(sameAddress('PBX.example.com', 'pbx.EXAMPLE.com'), true);
  assert.equal(sameAddress('192.0.2.1', '192.0.2.10'), false);
  assert.equal(sameAddress('::1', '0:0::1'), true);
  assert.equal(sameAddress('[2001:db8:0:0:0:0:0:7]', '2001:DB8::7'), true);
  assert.equal(sameAddress('2001:db8::0007', '2001:db8::7'), true);
  assert.equal(sameAddress('::ffff:10.0.0.1', '::ffff:a00:1'), true);
  assert.equal(sameAddress('2001:db8::7', '2001:db8::8'), false);
  assert.equal(sameAddress('2001:db8::7', '2001:db8:1::7'), false);
  assert.equal(sameAddress('::1', '127.0.0.1'), false, 'families differ');
  assert.equal(sameAddress('1::2::3', '1::2::3'), true, 'equal text is equal');
  assert.equal(sameAddress('1::2::3', '1:0::2::3'), false, 'not addresses: text only');
});
