/**
 * parseDigestCredentials files the known parameters without a Map; this checks it against the
 * Map-based reading (parseAuthParams plus RFC 7616 §3.4's rules, written out here as the
 * reference) on generated credentials: mixed-case names, quoted and token values with escapes,
 * repeats, unknown parameters, stray whitespace and broken syntax.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAuthParams, parseDigestCredentials } from './digest-credentials.ts';

function reference(value: string): unknown {
  // Another scheme (Basic) is refused by its first word before any parameter is read.
  const first = value.trim().split(/\s+/)[0] ?? '';
  if (first !== '' && first.toLowerCase() !== 'digest') return { error: 'SIP_AUTH_SCHEME' };
  const p = parseAuthParams(value);
  if (!p.ok) return { error: p.error.code };
  const { scheme, params } = p.value;
  if (scheme.toLowerCase() !== 'digest') return { error: 'SIP_AUTH_SCHEME' };
  const username = params.get('username');
  const extUser = params.get('username*');
  if (extUser !== undefined) return { skip: true };
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return { error: 'SIP_AUTH_MALFORMED' };
  const qop = params.get('qop');
  const ncText = params.get('nc');
  const cnonce = params.get('cnonce');
  let nc: number | undefined;
  if (qop !== undefined) {
    if (cnonce === undefined || ncText === undefined) return { error: 'SIP_AUTH_MALFORMED' };
    if (!/^[0-9a-fA-F]{8}$/.test(ncText)) return { error: 'SIP_AUTH_MALFORMED' };
    nc = parseInt(ncText, 16);
  } else if (ncText !== undefined) return { error: 'SIP_AUTH_MALFORMED' };
  const userhash = (params.get('userhash') ?? 'false').toLowerCase();
  if (userhash !== 'true' && userhash !== 'false') return { error: 'SIP_AUTH_MALFORMED' };
  const out: Record<string, unknown> = { username, realm, nonce, uri, response, algorithm: params.get('algorithm') ?? 'MD5', userhash: userhash === 'true' };
  if (cnonce !== undefined) out['cnonce'] = cnonce;
  const opaque = params.get('opaque');
  if (opaque !== undefined) out['opaque'] = opaque;
  if (qop !== undefined) out['qop'] = qop;
  if (nc !== undefined) out['nc'] = nc;
  return out;
}

function actual(value: string): unknown {
  const r = parseDigestCredentials(value);
  return r.ok ? { ...r.value } : { error: r.error.code };
}

const names = ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'cnonce', 'opaque', 'qop', 'nc', 'userhash', 'x-extra', 'foo'];
const caseMix = (s: string) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })
  .map((flags) => [...s].map((ch, k) => (flags[k] ? ch.toUpperCase() : ch)).join(''));
const tokenValue = fc.constantFrom('auth', 'MD5', 'true', 'FALSE', '00000001', '0000000A', '0000001g', 'sip:a@b', 'abc', '');
const quotedValue = fc.array(fc.constantFrom('a', 'b', ' ', ',', '=', '\\"', '\\\\', '\\x', 'é'), { maxLength: 6 }).map((v) => `"${v.join('')}"`);
const param = fc.tuple(fc.constantFrom(...names).chain(caseMix), fc.oneof(tokenValue, quotedValue), fc.constantFrom('', ' ', '\t'))
  .map(([n, v, ws]) => `${n}${ws}=${ws}${v}`);
const base = ['username="alice"', 'realm="example.com"', 'nonce="abc"', 'uri="sip:example.com"', 'response="0123"'];
const credentials = fc.tuple(
  fc.constantFrom('Digest', 'digest', 'DIGEST', 'Basic', ' Digest', 'Digest\t'),
  fc.shuffledSubarray(base),
  fc.array(param, { maxLength: 6 }),
  fc.constantFrom(',', ', ', ' ,', ',,', ' '),
  fc.boolean(),
).map(([scheme, fixed, extra, sep, trailingComma]) => `${scheme} ${[...fixed, ...extra].join(sep)}${trailingComma ? ',' : ''}`);

test('parseDigestCredentials reads what the Map-based reading of the same value reads', () => {
  fc.assert(fc.property(credentials, (v) => {
    const ref = reference(v);
    if ((ref as { skip?: boolean }).skip === true) return;
    assert.deepEqual(actual(v), ref, v);
  }), { numRuns: 5000 });
});
