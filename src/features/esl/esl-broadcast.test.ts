import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEslBroadcast, parseEslBroadcast, DEFAULT_HEADERS } from './esl-broadcast.ts';
import type { EslEvent } from './esl-event.ts';
import { eventCommand, eventEntryProblem, isChosen, subscriptionOf } from './esl-subscription.ts';

const EV: EslEvent = {
  name: 'CHANNEL_ANSWER', subclass: undefined, body: undefined,
  headers: { 'Event-Name': 'CHANNEL_ANSWER', 'Core-UUID': 'c1', 'Unique-ID': 'u1', 'Caller-Caller-ID-Number': '1001', 'variable_secret': 'x', 'Big': 'b'.repeat(3000) },
};

describe('ESL: cluster messages', () => {
  test('the chosen headers only, and the receiver reads them back', () => {
    const r = encodeEslBroadcast(EV, DEFAULT_HEADERS, 8192);
    assert.ok(r.ok);
    assert.equal(r.trimmed, false);
    assert.ok(r.msg.startsWith('ESL:{'));
    const b = parseEslBroadcast(r.msg);
    assert.deepEqual(b?.headers, { 'Event-Name': 'CHANNEL_ANSWER', 'Core-UUID': 'c1', 'Unique-ID': 'u1', 'Caller-Caller-ID-Number': '1001' });
    assert.equal(b?.trimmed, false);
  });

  test('too big: trimmed to the core headers; still too big: refused', () => {
    const r = encodeEslBroadcast(EV, 'all', 1000);
    assert.ok(r.ok && r.trimmed);
    const b = parseEslBroadcast(r.ok ? r.msg : '');
    assert.equal(b?.trimmed, true);
    assert.equal(b?.headers.Big, undefined);
    assert.equal(b?.headers['Unique-ID'], 'u1');
    const huge: EslEvent = { ...EV, headers: { ...EV.headers, 'Unique-ID': 'u'.repeat(2000) } };
    assert.deepEqual(encodeEslBroadcast(huge, 'all', 1000), { ok: false, code: 'FEATURE_ESL_EVENT_TOO_LARGE', bytes: 2085 });
  });

  test('all headers and the body with "all"; multi-byte text counts in bytes', () => {
    const ev: EslEvent = { name: 'CUSTOM', subclass: 'conference::maintenance', headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'conference::maintenance' }, body: 'ü'.repeat(10) };
    const r = encodeEslBroadcast(ev, 'all', 8192);
    const b = parseEslBroadcast(r.ok ? r.msg : '');
    assert.equal(b?.subclass, 'conference::maintenance');
    assert.equal(b?.body, 'ü'.repeat(10));
    const tight = encodeEslBroadcast(ev, 'all', Buffer.byteLength(r.ok ? r.msg : '') - 1);
    assert.ok(tight.ok && tight.trimmed);
  });

  test('anything else is not an ESL message', () => {
    for (const m of ['WHEREIS:alice', 'ESL:', 'ESL:{', 'ESL:[]', 'ESL:{"a":"b"}', 'ESL:{"Event-Name":3}', 'ESL:null']) assert.equal(parseEslBroadcast(m), undefined, m);
  });
});

describe('subscription', () => {
  test('plain names first, CUSTOM then its subclasses (mod_event_socket reads every word after CUSTOM as a subclass)', () => {
    const s = subscriptionOf(['CUSTOM conference::maintenance', 'CHANNEL_CREATE', 'CUSTOM sofia::register']);
    assert.equal(eventCommand('plain', s), 'event plain CHANNEL_CREATE CUSTOM conference::maintenance sofia::register\n\n');
    assert.equal(isChosen(s, 'CHANNEL_CREATE', undefined), true);
    assert.equal(isChosen(s, 'CHANNEL_ANSWER', undefined), false);
    assert.equal(isChosen(s, 'CUSTOM', 'sofia::register'), true);
    assert.equal(isChosen(s, 'CUSTOM', 'sofia::expire'), false);
    assert.equal(isChosen(subscriptionOf(['ALL']), 'HEARTBEAT', undefined), true);
  });

  test('config entries are checked', () => {
    assert.equal(eventEntryProblem('CHANNEL_CREATE'), undefined);
    assert.equal(eventEntryProblem('CUSTOM conference::maintenance'), undefined);
    assert.notEqual(eventEntryProblem('channel_create'), undefined);
    assert.notEqual(eventEntryProblem('CUSTOM'), undefined);
    assert.notEqual(eventEntryProblem('CHANNEL_CREATE\n\nauth x'), undefined);
    assert.notEqual(eventEntryProblem('CUSTOM a b'), undefined);
  });
});
