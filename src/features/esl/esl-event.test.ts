import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonEvent, decodePlainEvent, urlDecode } from './esl-event.ts';

describe('urlDecode (switch_url_decode)', () => {
  test('valid %XX become bytes, UTF-8 sequences come out whole; stray % and + stay', () => {
    assert.equal(urlDecode('2017-06-26%2019%3A09%3A13'), '2017-06-26 19:09:13');
    assert.equal(urlDecode('1011%40lab.example.com'), '1011@lab.example.com');
    assert.equal(urlDecode('%C3%BCn%C3%AF'), 'ünï');
    assert.equal(urlDecode('100%'), '100%');
    assert.equal(urlDecode('%zz%4'), '%zz%4');
    assert.equal(urlDecode('a+b'), 'a+b');
    assert.equal(urlDecode('plain'), 'plain');
  });
});

describe('decodePlainEvent', () => {
  test('URL-encoded headers, the event\'s own Content-Length and body', () => {
    const evBody = 'member joined: ünï\n';
    const text = [
      'Event-Name: CUSTOM', 'Core-UUID: 6ddf010e-bc0b-4366-8413-6becd7f77076', 'Event-Subclass: conference%3A%3Amaintenance',
      'Event-Date-GMT: Mon,%2026%20Jun%202017%2019%3A09%3A13%20GMT', `Content-Length: ${Buffer.byteLength(evBody)}`, '', evBody,
    ].join('\n');
    const r = decodePlainEvent(Buffer.from(text));
    assert.ok(r.ok);
    assert.equal(r.event.name, 'CUSTOM');
    assert.equal(r.event.subclass, 'conference::maintenance');
    assert.equal(r.event.headers['Event-Date-GMT'], 'Mon, 26 Jun 2017 19:09:13 GMT');
    assert.equal(r.event.body, evBody);
    assert.equal(r.event.headers['Content-Length'], undefined, 'the body length is framing, not a header');
  });

  test('an event without body ends with an empty line', () => {
    const r = decodePlainEvent(Buffer.from('Event-Name: CHANNEL_CREATE\nUnique-ID: a1\nCaller-Caller-ID-Number: 1001\n\n'));
    assert.ok(r.ok);
    assert.deepEqual(r.event.headers, { 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': 'a1', 'Caller-Caller-ID-Number': '1001' });
    assert.equal(r.event.body, undefined);
    assert.equal(r.event.subclass, undefined);
  });

  test('bad events: typed errors, never a throw', () => {
    for (const text of ['Unique-ID: a1\n\n', 'Event-Name: X\nbroken line\n\n', 'Event-Name: X\nContent-Length: abc\n\n', 'Event-Name: X\nContent-Length: 50\n\nshort', '']) {
      const r = decodePlainEvent(Buffer.from(text));
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.equal(r.error.code, 'FEATURE_ESL_BAD_EVENT');
    }
  });
});

describe('decodeJsonEvent', () => {
  test('header object, _body as the body', () => {
    const r = decodeJsonEvent(Buffer.from(JSON.stringify({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'conference::maintenance', _body: 'hi', n: 3 })));
    assert.ok(r.ok);
    assert.equal(r.event.subclass, 'conference::maintenance');
    assert.equal(r.event.body, 'hi');
    assert.equal(r.event.headers.n, '3');
  });

  test('not JSON, not an object, no Event-Name: FEATURE_ESL_BAD_EVENT', () => {
    for (const text of ['{', '[1,2]', 'null', '"x"', '{"Unique-ID":"a"}']) {
      const r = decodeJsonEvent(Buffer.from(text));
      assert.equal(r.ok ? 'ok' : r.error.code, 'FEATURE_ESL_BAD_EVENT', text);
    }
  });
});

test('an event-json header nested deep enough to overflow JSON.stringify is a bad event, not an exception', () => {
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  const r = decodeJsonEvent(Buffer.from(`{"Event-Name":"CUSTOM","x":${deep}}`));
  assert.equal(r.ok, false);
});
