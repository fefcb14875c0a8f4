import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DUMP_BYTES, MAX_MESSAGE_CHARS, MAX_TTL_MS } from './limits.ts';
import { decodeMapMessage, encodeDump, encodeMapMessage, type MapMessage } from './map-messages.ts';

const entry = { key: 'conf-100', ttlMs: 60_000, claimedAtMs: 1_700_000_000_123, value: 'sip:127.0.0.1:5101' };

describe('MAP: message grammar', () => {
  test('every message round-trips through its text form', () => {
    const all: MapMessage[] = [
      { kind: 'set', map: 'conference', ...entry },
      { kind: 'own', map: 'conference', ...entry, value: '' },
      { kind: 'del', map: 'conference', key: 'conf-100' },
      { kind: 'who', map: 'conference', key: 'conf-100' },
      { kind: 'none', map: 'conference', key: 'conf-100' },
      { kind: 'dump?', map: 'conference' },
      { kind: 'dump', map: 'conference', entries: [] },
      { kind: 'dump', map: 'conference', entries: [entry, { ...entry, key: 'conf-7', value: 'a:b:c' }] },
    ];
    for (const m of all) assert.deepEqual(decodeMapMessage(encodeMapMessage(m)), { ok: true, msg: m }, encodeMapMessage(m));
  });

  test('the text is what the README documents (an OpenSIPS script can write it)', () => {
    assert.equal(encodeMapMessage({ kind: 'set', map: 'conference', ...entry }), 'MAP:conference:SET:conf-100:60000:1700000000123:sip:127.0.0.1:5101');
    assert.equal(encodeMapMessage({ kind: 'who', map: 'conference', key: 'conf-1' }), 'MAP:conference:WHO?:conf-1');
    assert.equal(encodeMapMessage({ kind: 'dump?', map: 'conference' }), 'MAP:conference:DUMP?');
  });

  test('malformed messages are typed failures, never exceptions', () => {
    const bad = [
      'MAP:', 'MAP:conference', 'MAP:conference:', 'MAP:conf erence:DEL:x', 'MAP::DEL:x', `MAP:${'m'.repeat(33)}:DEL:x`,
      'MAP:conference:XYZ:k', 'MAP:conference:DEL:', 'MAP:conference:DEL:a:b', 'MAP:conference:WHO?:a b',
      'MAP:conference:SET:k:1:2', 'MAP:conference:SET:k:-1:2:v', 'MAP:conference:SET:k:1.5:2:v', 'MAP:conference:SET:k:1:x:v',
      'MAP:conference:SET:k:99999999999999999:2:v', `MAP:conference:SET:${'k'.repeat(129)}:1:2:v`, `MAP:conference:SET:k:1:2:${'v'.repeat(513)}`,
      'MAP:conference:SET:k:1:2:v\r', 'MAP:conference:DUMP:k:1:2:v\nbroken', 'MAP:conference:DUMP?:x', 'BAN:1.2.3.4:1:x',
      `MAP:conference:DUMP:${'k:1:2:v\n'.repeat(MAX_MESSAGE_CHARS / 8)}k:1:2:v`,
    ];
    for (const text of bad) {
      const r = decodeMapMessage(text);
      assert.equal(r.ok, false, text.slice(0, 80));
    }
    // Every prefix of a valid message decodes or fails cleanly.
    const ok = encodeMapMessage({ kind: 'dump', map: 'conference', entries: [entry, entry] });
    for (let i = 0; i < ok.length; i++) assert.doesNotThrow(() => decodeMapMessage(ok.slice(0, i)));
  });

  test('a TTL above the bound is clamped, not refused', () => {
    const r = decodeMapMessage(`MAP:m:SET:k:${MAX_TTL_MS * 10}:1:v`);
    assert.ok(r.ok && r.msg.kind === 'set' && r.msg.ttlMs === MAX_TTL_MS);
  });

  test('a DUMP reply stops adding lines before the size bound', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...entry, key: `conf-${i}`, value: 'v'.repeat(100) }));
    const d = encodeDump('conference', many);
    assert.ok(d.text.length <= MAX_MESSAGE_CHARS);
    assert.ok(d.count > 100 && d.count < 2000);
    const r = decodeMapMessage(d.text);
    assert.ok(r.ok && r.msg.kind === 'dump' && r.msg.entries.length === d.count);
  });

  test('a DUMP reply is bounded in UTF-8 bytes, not characters: non-ASCII values still fit one BIN packet', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ ...entry, key: `conf-${i}`, value: 'ü会'.repeat(250) }));
    const d = encodeDump('conference', many);
    assert.ok(Buffer.byteLength(d.text, 'utf8') <= MAX_DUMP_BYTES, `${Buffer.byteLength(d.text, 'utf8')} bytes`);
    assert.ok(d.count > 10);
  });
});
