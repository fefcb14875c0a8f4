import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isHost, isIpv4Address, isIpv6Address, isHostname, isViaReceived } from './host-grammar.ts';
import { oracleHost, oracleIpv4, oracleIpv6, oracleReceived } from '../../../test/support/host-oracle.ts';

const whole = (f: (s: string, a: number, b: number) => boolean, v: string) => f(v, 0, v.length);

test('RFC 3261 §25.1 IPv4address (groups 0–255) and IPv6address (RFC 4291 piece count): examples', () => {
  for (const v of ['0.0.0.0', '255.255.255.255', '010.0.0.1']) assert.ok(whole(isIpv4Address, v), v);
  for (const v of ['', '1.2.3', '1.2.3.4.', '256.0.0.1', '1.2.3.0004', '1.2.3.4:5']) assert.equal(whole(isIpv4Address, v), false, v);
  for (const v of ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', 'FE80::aBc']) assert.ok(whole(isIpv6Address, v), v);
  for (const v of ['', ':', ':1', '1:', ':::', '1:::2', '1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1.2.3.4', '::1.2.3', 'fe80::1%eth0', '[::1]', '1:2:3:4:5:6:7:1.2.3.4']) {
    assert.equal(whole(isIpv6Address, v), false, v);
  }
  for (const v of ['x', 'h.example', 'h.example.', 'a-1.b', '1a.example']) assert.ok(whole(isHostname, v), v);
  for (const v of ['', '.', '1.2.3', '-a', 'a-', 'a..b', 'a_b', 'h.1x']) assert.equal(whole(isHostname, v), false, v);
});

test('host-grammar: the same verdicts as independent oracles on generated values (ranges inside a larger string too)', () => {
  const ch = fc.constantFrom('0', '1', '9', '25', '255', '256', 'a', 'F', 'g', 'z', '-', '.', ':', '::', '[', ']', '%', '_');
  fc.assert(fc.property(fc.array(ch, { maxLength: 14 }), fc.nat(3), (cs, pad) => {
    const v = cs.join('');
    const s = `${';'.repeat(pad)}${v};`;
    const a = pad;
    const b = pad + v.length;
    assert.equal(isIpv4Address(s, a, b), oracleIpv4(v), `ipv4 ${v}`);
    assert.equal(isIpv6Address(s, a, b), oracleIpv6(v), `ipv6 ${v}`);
    assert.equal(isHost(s, a, b), oracleHost(v), `host ${v}`);
    assert.equal(isViaReceived(s, a, b), oracleReceived(v), `received ${v}`);
  }), { numRuns: 20000 });
});

test('host-grammar: every address and domain fast-check writes is taken (fc.ipV4, fc.ipV6, fc.domain)', () => {
  fc.assert(fc.property(fc.ipV4(), fc.ipV6(), fc.domain(), (v4, v6, d) => {
    assert.ok(whole(isIpv4Address, v4) && whole(isHost, v4) && whole(isViaReceived, v4), v4);
    assert.ok(whole(isIpv6Address, v6) && whole(isHost, `[${v6}]`) && whole(isViaReceived, v6) && whole(isViaReceived, `[${v6}]`), v6);
    assert.equal(whole(isHost, v6), false, v6);
    assert.ok(whole(isHostname, d) && whole(isHost, d), d);
  }), { numRuns: 5000 });
});
