/**
 * parseVia slices branch/received/rport/maddr/ttl while checking the parameters and builds the
 * parameter list only when `params` is read; name-addr does the same for `tag`. This checks those
 * fields against what the built list says (paramValue, first occurrence, names in any case) on
 * generated values: mixed case, flags, quoted values, repeats, unknown parameters, SWS around `;`
 * and `=`, and sent-protocols with and without white space around the slashes (SWS after the
 * last one included: the `SIP/2.0/` fast path must skip it too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseVia } from './via.ts';
import { parseNameAddr } from './name-addr.ts';
import { paramGet } from './params.ts';
import { oracleHost, oracleReceived } from '../../../test/support/host-oracle.ts';

const KNOWN = ['branch', 'received', 'rport', 'maddr', 'ttl', 'tag'];
const name = fc.oneof(
  fc.constantFrom(...KNOWN).chain((n) => fc.array(fc.boolean(), { minLength: n.length, maxLength: n.length }).map((up) => [...n].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''))),
  fc.constantFrom('x', 'lr', 'rportx', 'ttl2', 'branc', 'tags'),
);
const value = fc.oneof(
  fc.constant(undefined),
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc.stringMatching(/^[a-zA-Z0-9.\-]{1,12}$/),
  fc.constantFrom('"q;v"', '"12"', 'z9hG4bK-1', '192.0.2.1', '[2001:db8::1]', '2001:db8::1', '192.0.2.256', 'a:b', 'h.example'),
);
const sws = fc.constantFrom('', ' ', '  ');
const param = fc.tuple(sws, name, value, sws).map(([a, n, v, b]) => (v === undefined ? `${a};${b}${n}` : `${a};${b}${n}${b}=${a}${v}`));
const protocol = fc.constantFrom('SIP/2.0/UDP', 'SIP/2.0/tcp', 'SIP / 2.0 / UDP', 'SIP/2.0/ UDP', 'SIP/2.0/\tTCP', 'SIP/2.0 /UDP', 'sip/2.0/TLS', 'SIP/3.0/UDP');
const sentBy = fc.constantFrom('127.0.0.1:5061', 'host.example', '[2001:db8::9]:5070');

function smallInt(v: string | undefined, max: number, digits = 10): number | undefined {
  if (v === undefined || !new RegExp(`^[0-9]{1,${digits}}$`).test(v)) return undefined;
  const n = Number(v);
  return n <= max ? n : undefined;
}

/**
 * Whether the first occurrence of each Via parameter with a grammar of its own (RFC 3261 §25.1
 * via-params, RFC 3581) is well formed, and no occurrence of one is quoted: what parseVia accepts.
 */
function viaParamsValid(ps: readonly (readonly [string, string | undefined])[]): boolean {
  const seen = new Set<string>();
  for (const [n, v] of ps) {
    const l = n.toLowerCase();
    if (!['branch', 'received', 'rport', 'maddr', 'ttl'].includes(l)) continue;
    if (v !== undefined && v.startsWith('"')) return false;
    if (seen.has(l)) continue;
    seen.add(l);
    if (v === undefined ? l !== 'rport' : (l === 'rport' && smallInt(v, 65535) === undefined) || (l === 'ttl' && smallInt(v, 255, 3) === undefined)) return false;
    // RFC 3261 §25.1 via-received (RFC 5118 §4.5: brackets too) and via-maddr = host.
    if (v !== undefined && ((l === 'received' && !oracleReceived(v)) || (l === 'maddr' && !oracleHost(v)))) return false;
  }
  return true;
}

test('parseVia: the fields read while checking equal what the parameter list says (first occurrence, any case)', () => {
  fc.assert(fc.property(protocol, sentBy, fc.array(fc.tuple(sws, name, value, sws), { maxLength: 8 }), (p, h, raw) => {
    const ps = raw.map(([a, n, v, b]) => (v === undefined ? `${a};${b}${n}` : `${a};${b}${n}${b}=${a}${v}`));
    const text = `${p} ${h}${ps.join('')}`;
    const r = parseVia(text);
    assert.equal(r.ok, viaParamsValid(raw.map(([, n, v]) => [n, v] as const)), text);
    if (!r.ok) return;
    const v = r.value;
    assert.equal(v.transport, p.slice(p.lastIndexOf('/') + 1).trim().toUpperCase(), text);
    assert.equal(v.version, p.startsWith('SIP/3.0') ? '3.0' : '2.0', text);
    const get = (n: string) => paramGet(v.params, n);
    assert.equal(v.params.length, ps.length, text);
    assert.equal(v.branch, get('branch')?.value, text);
    assert.equal(v.received, get('received')?.value, text);
    assert.equal(v.maddr, get('maddr')?.value, text);
    const rp = get('rport');
    assert.equal(v.rport, rp === undefined ? undefined : rp.value === undefined ? true : smallInt(rp.value, 65535), text);
    assert.equal(v.ttl, smallInt(get('ttl')?.value, 255, 3), text);
    assert.deepEqual(JSON.parse(JSON.stringify(v)).params, v.params.map((x) => (x.value === undefined ? { name: x.name } : x)));
  }), { numRuns: 3000 });
});

test('parseNameAddr: the tag read while checking equals the tag in the parameter list', () => {
  fc.assert(fc.property(fc.array(param, { maxLength: 6 }), (ps) => {
    const text = `"A" <sip:a@x.example>${ps.join('')}`;
    // A quoted tag parses here (any name-addr may carry one); only From and To refuse it.
    const r = parseNameAddr(text);
    assert.ok(r.ok, text);
    assert.equal(r.value.tag, paramGet(r.value.params, 'tag')?.value, text);
  }), { numRuns: 2000 });
});

