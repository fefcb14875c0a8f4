import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, isReq, isRes, only, request } from '../../../test/support/proxy-harness.ts';
import { proxyTimerOptions } from '../proxy-timers.ts';
import { ConfigError, parseConfigText } from './load-config.ts';

function errorOf(text: string): ConfigError {
  try {
    parseConfigText(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  return assert.fail('expected a ConfigError');
}

test('proxy: defaults keep the RFC timers (no fr_timeout: timer B/F; timer C 181 s); OpenSIPS fr_timeout / fr_inv_timeout values are taken', () => {
  assert.deepEqual(parseConfigText('').proxy, { inviteTimeoutMs: 181_000 });
  assert.deepEqual(parseConfigText('proxy: { noReplyTimeoutMs: 5000, inviteTimeoutMs: 200000 }').proxy, { noReplyTimeoutMs: 5000, inviteTimeoutMs: 200_000 });
});

test('proxy.inviteTimeoutMs is timer C: 3 minutes or less is refused (RFC 3261 §16.6 step 11 "MUST be larger than 3 minutes"), the message naming the key', () => {
  const e = errorOf('proxy: { inviteTimeoutMs: 180000 }');
  assert.deepEqual(e.problems.map((p) => p.path), ['proxy.inviteTimeoutMs']);
  assert.match(e.problems[0]?.message ?? '', /larger than 3 minutes.*RFC 3261 §16\.6 step 11.*timeoutMs/);
  assert.match(e.message, /proxy\.inviteTimeoutMs/);
  assert.equal(parseConfigText('proxy: { inviteTimeoutMs: 180001 }').proxy.inviteTimeoutMs, 180_001);
});

test('proxy: bad values and unknown keys are refused, each with its key', () => {
  const e = errorOf('proxy: { noReplyTimeoutMs: 0, inviteTimeoutMs: 200000.5, frTimeout: 5 }');
  assert.deepEqual(e.problems.map((p) => p.path).sort(), ['proxy.frTimeout', 'proxy.inviteTimeoutMs', 'proxy.noReplyTimeoutMs']);
  assert.match(e.message, /proxy\.noReplyTimeoutMs/);
  assert.deepEqual(errorOf('proxy: { noReplyTimeoutMs: -1 }').problems.map((p) => p.path), ['proxy.noReplyTimeoutMs']);
  assert.deepEqual(errorOf('proxy: { noReplyTimeoutMs: 1.5 }').problems.map((p) => p.path), ['proxy.noReplyTimeoutMs']);
});

test('config proxy: reaches the proxy as every relay\'s default: a silent branch ends at proxy.noReplyTimeoutMs, a ringing one at proxy.inviteTimeoutMs', () => {
  const cfg = parseConfigText('proxy: { noReplyTimeoutMs: 3000, inviteTimeoutMs: 190000 }').proxy;
  const silent = harness(proxyTimerOptions(cfg));
  silent.recv(request());
  silent.take();
  silent.clock.advance(2999);
  assert.equal(silent.take().filter((x) => isRes(408)(x.msg)).length, 0);
  silent.clock.advance(1);
  assert.equal(only(silent.take(), (m) => !m.isRequest).msg.status, 408);
  const ringing = harness(proxyTimerOptions(cfg));
  ringing.recv(request());
  ringing.answer(only(ringing.take(), isReq('INVITE')).msg, 180, 'Ringing');
  ringing.take();
  ringing.clock.advance(189_999);
  assert.equal(ringing.take().length, 0);
  ringing.clock.advance(1);
  assert.equal(only(ringing.take(), (m) => !m.isRequest).msg.status, 408);
  // Without proxy: the RFC timers: timer B at 64·T1.
  const plain = harness(proxyTimerOptions(parseConfigText('').proxy));
  plain.recv(request());
  plain.take();
  plain.clock.advance(31_999);
  assert.equal(plain.take().filter((x) => !x.msg.isRequest).length, 0);
  plain.clock.advance(1);
  assert.equal(only(plain.take(), (m) => !m.isRequest).msg.status, 408);
});
