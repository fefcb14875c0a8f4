import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load-config.ts';

function problemsOf(text: string): Array<{ path: string; message: string }> {
  try {
    parseConfigText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => ({ path: p.path, message: p.message }));
  }
  return assert.fail('expected a ConfigError');
}

test('registrar.natPing: off by default (intervalSec 0), OPTIONS, NATed contacts only, UDP only, never removing, 3 s reply timeout', () => {
  assert.deepEqual(parseConfigText('').registrar.natPing, { intervalSec: 0, method: 'options', natedOnly: true, tcp: false, maxPingsLost: 0, replyTimeoutMs: 3000 });
  const c = parseConfigText('registrar: { natPing: { intervalSec: 25, method: options, natedOnly: false, tcp: true, from: "sip:keepalive@sip.example.net", maxPingsLost: 3, replyTimeoutMs: 2000 } }');
  assert.deepEqual(c.registrar.natPing, { intervalSec: 25, method: 'options', natedOnly: false, tcp: true, from: 'sip:keepalive@sip.example.net', maxPingsLost: 3, replyTimeoutMs: 2000 });
  assert.equal(parseConfigText('registrar: { natPing: { intervalSec: 20 } }').registrar.natPing.tcp, false, 'natping_tcp is off by default in OpenSIPS too');
  assert.equal(parseConfigText('registrar: { natPing: { intervalSec: 20, method: crlf } }').registrar.natPing.method, 'crlf');
});

test('registrar.natPing: bad values are refused, each with its key and why', () => {
  const bad = problemsOf('registrar: { natPing: { intervalSec: -1, method: udp, from: "pinger@example", maxPingsLost: 1.5, replyTimeoutMs: 0, pingNatedOnly: true, tcp: 1 } }');
  assert.deepEqual(bad.map((p) => p.path).sort(), [
    'registrar.natPing.from', 'registrar.natPing.intervalSec', 'registrar.natPing.maxPingsLost', 'registrar.natPing.method',
    'registrar.natPing.pingNatedOnly', 'registrar.natPing.replyTimeoutMs', 'registrar.natPing.tcp',
  ]);
  assert.match(bad.find((p) => p.path === 'registrar.natPing.from')?.message ?? '', /sip: or sips: URI/);
  const crlf = problemsOf('registrar: { natPing: { intervalSec: 30, method: crlf, maxPingsLost: 3 } }');
  assert.deepEqual(crlf.map((p) => p.path), ['registrar.natPing.maxPingsLost']);
  assert.match(crlf[0]?.message ?? '', /needs method options/);
  const slow = problemsOf('registrar: { natPing: { intervalSec: 2, replyTimeoutMs: 2500 } }');
  assert.deepEqual(slow.map((p) => p.path), ['registrar.natPing.replyTimeoutMs']);
  assert.match(slow[0]?.message ?? '', /longer than intervalSec/);
  assert.equal(parseConfigText('registrar: { natPing: { replyTimeoutMs: 60000 } }').registrar.natPing.intervalSec, 0, 'off: the timeout is not checked against it');
});
