import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import { parseAuthParams, parseDigestCredentials } from './digest-credentials.ts';
import { computeDigestResponse, computeHa1 } from './digest-response.ts';
import { DigestAuthenticator, formatChallenge } from './digest-auth.ts';
import { NonceService } from './nonce.ts';
import { NonceCounts } from './nonce-counts.ts';
import type { CredentialStore, Credentials } from './ports.ts';
import { clientAnswer } from '../../../test/support/digest-client.ts';

test('RFC 2617 §3.5 worked example (MD5, qop=auth)', () => {
  // The values printed in the RFC: password "Circle Of Life", method GET.
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  assert.equal(ha1, '939e7578ed9e3c518a452acee763bce9');
  const response = computeDigestResponse({
    algorithm: 'MD5', ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html',
    qop: 'auth', ncText: '00000001', cnonce: '0a4f113b',
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

test('RFC 7616 §3.9.1 example: SHA-256 and MD5 responses', () => {
  const common = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', method: 'GET', uri: '/dir/index.html',
    qop: 'auth' as const, ncText: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  const realm = 'http-auth@example.org';
  assert.equal(
    computeDigestResponse({ ...common, algorithm: 'SHA-256', ha1: computeHa1('SHA-256', 'Mufasa', realm, 'Circle of Life') }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
  assert.equal(
    computeDigestResponse({ ...common, algorithm: 'MD5', ha1: computeHa1('MD5', 'Mufasa', realm, 'Circle of Life') }),
    '8ca523f5e9506fed4657c9700eebdbec',
  );
});

test('credentials parser: quoted strings, escapes, LWS, case-insensitive names', () => {
  const r = parseDigestCredentials(
    'Digest  username="Mu\\"fasa" , Realm = "r, with comma",nonce="n",uri="sip:r@x",response="abc",algorithm=SHA-256,' +
    'qop=auth,nc=0000000a,cnonce="c",opaque="o"');
  assert.ok(r.ok);
  assert.equal(r.value.username, 'Mu"fasa');
  assert.equal(r.value.realm, 'r, with comma');
  assert.equal(r.value.nc, 10);
  assert.equal(r.value.algorithm, 'SHA-256');
  assert.equal(r.value.opaque, 'o');
  const old = parseDigestCredentials('digest username="a",realm="r",nonce="n",uri="u",response="x"');
  assert.ok(old.ok && old.value.algorithm === 'MD5' && old.value.qop === undefined);
  const ext = parseDigestCredentials("Digest username*=UTF-8''J%C3%A4s%C3%B8n,realm=\"r\",nonce=\"n\",uri=\"u\",response=\"x\"");
  assert.ok(ext.ok && ext.value.username === 'Jäsøn');
});

test('credentials parser refuses malformed values with stable codes', () => {
  const cases: Array<[string, string]> = [
    ['Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', 'SIP_AUTH_SCHEME'],
    ['Digest username="a', 'SIP_AUTH_MALFORMED'],
    ['Digest username="a",username="b",realm="r",nonce="n",uri="u",response="x"', 'SIP_AUTH_MALFORMED'],
    ['Digest realm="r",nonce="n",uri="u",response="x"', 'SIP_AUTH_MALFORMED'],
    ['Digest username="a",realm="r",nonce="n",uri="u",response="x",qop=auth', 'SIP_AUTH_MALFORMED'],
    ['Digest username="a",realm="r",nonce="n",uri="u",response="x",qop=auth,cnonce="c",nc=1', 'SIP_AUTH_MALFORMED'],
    ['Digest username="a" realm="r"', 'SIP_AUTH_MALFORMED'],
    ['', 'SIP_AUTH_MALFORMED'],
    [`Digest username="${'a'.repeat(5000)}"`, 'SIP_AUTH_MALFORMED'],
  ];
  for (const [v, code] of cases) {
    const r = parseDigestCredentials(v);
    assert.ok(!r.ok, v);
    assert.equal(r.error.code, code, v);
  }
  assert.ok(!parseAuthParams('Digest a=').ok);
});

test('stateless nonces: valid, stale after the lifetime, invalid when forged or for another realm', () => {
  const clock = new FakeClock();
  const svc = new NonceService({ secret: 'a sixteen+ byte secret', clock, random: new SeededRandom(7), lifetimeSec: 30 });
  const n = svc.issue('example.com');
  assert.equal(n.length, 38);
  assert.equal(svc.check(n, 'example.com'), 'valid');
  assert.equal(svc.check(n, 'other.com'), 'invalid');
  const flipped = (n[20] === 'A' ? 'B' : 'A');
  assert.equal(svc.check(n.slice(0, 20) + flipped + n.slice(21), 'example.com'), 'invalid');
  assert.equal(svc.check('dcd98b7102dd2f0e8b11d0f600bfb0c093', 'example.com'), 'invalid');
  const other = new NonceService({ secret: 'another 16 byte secret', clock, random: new SeededRandom(7) });
  assert.equal(other.check(n, 'example.com'), 'invalid');
  clock.advance(29_999);
  assert.equal(svc.check(n, 'example.com'), 'valid');
  clock.advance(1);
  assert.equal(svc.check(n, 'example.com'), 'stale');
  assert.throws(() => new NonceService({ secret: 'short', clock, random: new SeededRandom(1) }));
});

test('recent nonces: our own verify without a MAC; a mangled MAC, another realm, an old or foreign nonce still need and fail or pass the MAC', () => {
  const clock = new FakeClock();
  const svc = new NonceService({ secret: 'a sixteen+ byte secret', clock, random: new SeededRandom(3), lifetimeSec: 30 });
  const n = svc.issue('example.com');
  const issued = svc.macsComputed;
  assert.equal(svc.check(n, 'example.com'), 'valid');
  assert.equal(svc.macsComputed, issued, 'the nonce we just issued is recognised, not re-MACed');
  // Every byte of the MAC part mangled in turn: never taken for ours, and the MAC refuses it.
  const bytes = Buffer.from(n, 'base64url');
  for (let i = 12; i < bytes.length; i++) {
    const m = Buffer.from(bytes);
    m[i] = (m[i] as number) ^ 0x01;
    assert.equal(svc.check(m.toString('base64url'), 'example.com'), 'invalid', `MAC byte ${i}`);
  }
  // The head mangled (timestamp, index, salt): not ours, refused by the MAC.
  for (const i of [0, 5, 9]) {
    const m = Buffer.from(bytes);
    m[i] = (m[i] as number) ^ 0x80;
    assert.equal(svc.check(m.toString('base64url'), 'example.com'), 'invalid', `head byte ${i}`);
  }
  const before = svc.macsComputed;
  assert.equal(svc.check(n, 'other.com'), 'invalid', 'the realm is part of what is compared');
  assert.equal(svc.macsComputed, before + 1, 'another realm goes to the MAC');
  // 8192 later challenges take its slot over: it still verifies, by its MAC.
  for (let i = 0; i < 8192; i++) svc.issue('example.com');
  const after = svc.macsComputed;
  assert.equal(svc.check(n, 'example.com'), 'valid');
  assert.equal(svc.macsComputed, after + 1);
  // Another node of the cluster (same secret) verifies ours by MAC, and we verify its nonces.
  const peer = new NonceService({ secret: 'a sixteen+ byte secret', clock, random: new SeededRandom(4) });
  const theirs = peer.issue('example.com');
  assert.equal(svc.check(theirs, 'example.com'), 'valid');
  assert.equal(peer.check(n, 'example.com'), 'valid');
  clock.advance(30_000);
  assert.equal(svc.check(svc.issue('example.com'), 'example.com'), 'valid');
  const last = svc.issue('example.com');
  clock.advance(30_000);
  assert.equal(svc.check(last, 'example.com'), 'stale', 'a recent slot does not skip the age check');
});

test('nonce-counts: increasing ok, reuse refused, reordering inside the window ok', () => {
  const c = new NonceCounts(30, 8);
  const n1 = { index: 1, salt: 7, issuedSec: 0 };
  assert.equal(c.use(n1, 1, 0), 'ok');
  assert.equal(c.use(n1, 1, 0), 'replay');
  assert.equal(c.use(n1, 3, 0), 'ok');
  assert.equal(c.use(n1, 2, 0), 'ok', 'late but unseen');
  assert.equal(c.use(n1, 2, 0), 'replay');
  assert.equal(c.use(n1, 3, 0), 'replay');
  assert.equal(c.use(n1, 100, 0), 'ok');
  assert.equal(c.use(n1, 50, 0), 'replay', 'below the window');
  assert.equal(c.use(n1, 0, 0), 'replay', 'nc starts at 1');
  assert.equal(c.use({ index: 2, salt: 7, issuedSec: 0 }, 5, 0), 'unknown', 'an untracked nonce must start at 1');
});

test('nonce-counts: bounded slots; the nonce issued capacity later takes the oldest one over; a colliding nonce is told apart', () => {
  const c = new NonceCounts(30, 2);
  const n1 = { index: 10, salt: 1, issuedSec: 0 };
  const n2 = { index: 11, salt: 1, issuedSec: 0 };
  const n3 = { index: 12, salt: 1, issuedSec: 0 };
  assert.equal(c.use(n1, 1, 0), 'ok');
  assert.equal(c.use(n2, 1, 0), 'ok');
  assert.equal(c.size(0), 2);
  assert.equal(c.use(n3, 1, 0), 'ok', 'index 12 takes index 10\'s slot');
  assert.equal(c.size(0), 2, 'never more than capacity');
  assert.equal(c.use(n1, 2, 0), 'unknown', 'the forgotten nonce goes stale');
  assert.equal(c.use(n2, 2, 0), 'ok', 'the other slot is untouched');
  // Same index, another node's salt (or another issue second): not the same nonce.
  const foreign = { index: 11, salt: 99, issuedSec: 0 };
  assert.equal(c.use(foreign, 2, 0), 'unknown');
  assert.equal(c.use({ index: 11, salt: 1, issuedSec: 1 }, 3, 1), 'unknown');
  assert.equal(c.use(n2, 3, 0), 'ok');
  // Past the lifetime a slot counts for nothing: a fresh nonce on it starts over.
  assert.equal(c.size(40), 0, 'nonces past their lifetime are not counted');
  assert.equal(c.use(n2, 4, 40), 'unknown');
  assert.equal(c.use({ index: 13, salt: 1, issuedSec: 40 }, 1, 40), 'ok');
  assert.throws(() => new NonceCounts(30, 0), RangeError);
});

test('nonce-counts: a nonce pushed out of its slot does not come back new (its nc=1 is not replayable)', () => {
  const c = new NonceCounts(30, 4);
  const a = { index: 1, salt: 11, issuedSec: 0 };
  const b = { index: 5, salt: 22, issuedSec: 0 }; // 5 % 4 === 1 % 4, issued after a
  assert.equal(c.use(a, 1, 0), 'ok');
  assert.equal(c.use(b, 1, 0), 'ok', 'the newer nonce takes the slot');
  assert.equal(c.use(a, 1, 0), 'unknown', 'the replayed nc=1 of the older one is refused (stale=true)');
  assert.equal(c.use(b, 2, 0), 'ok', 'and it did not take the slot back');
  // An older nonce seen first after a newer one: refused as well; in a later second, or once the slot's nonce expired, taken.
  const later = { index: 9, salt: 33, issuedSec: 2 };
  assert.equal(c.use(later, 1, 2), 'ok');
  assert.equal(c.use({ index: 1, salt: 44, issuedSec: 1 }, 1, 2), 'unknown');
  assert.equal(c.use({ index: 13, salt: 55, issuedSec: 1 }, 1, 40), 'ok', 'the slot\'s nonce expired');
  // Indexes count modulo 2^32: 3 comes after 0xffff_ffff (same second).
  const d = new NonceCounts(30, 4);
  assert.equal(d.use({ index: 0xffff_ffff, salt: 1, issuedSec: 0 }, 1, 0), 'ok');
  assert.equal(d.use({ index: 3, salt: 1, issuedSec: 0 }, 1, 0), 'ok');
  assert.equal(d.use({ index: 0xffff_ffff, salt: 1, issuedSec: 0 }, 1, 0), 'unknown');
});

test('nonce-counts: a jump of exactly the window keeps the old highest count (bit 31), one more forgets it', () => {
  const c = new NonceCounts(30, 8);
  const id = { index: 7, salt: 9, issuedSec: 0 };
  assert.equal(c.use(id, 1, 0), 'ok');
  assert.equal(c.use(id, 33, 0), 'ok');
  assert.equal(c.use(id, 1, 0), 'replay', '1 is 32 back: still in the window');
  assert.equal(c.use(id, 2, 0), 'ok', 'an unused count inside the window');
  assert.equal(c.use(id, 66, 0), 'ok');
  assert.equal(c.use(id, 33, 0), 'replay', '33 back: outside the window, refused as too old');
  const e = new NonceCounts(30, 8);
  assert.equal(e.use(id, 1, 0), 'ok');
  assert.equal(e.use(id, 34, 0), 'ok');
  assert.equal(e.use(id, 1, 0), 'replay', '33 back');
  assert.equal(e.use(id, 2, 0), 'ok', '32 back and never used');
});

test('nonces carry consecutive indexes and verify with their index and salt; nonce-counts keyed by them stay per nonce', () => {
  const clock = new FakeClock();
  const svc = new NonceService({ secret: 'a sixteen+ byte secret', clock, random: new SeededRandom(3) });
  const a = svc.identify(svc.issue('r'), 'r');
  const b = svc.identify(svc.issue('r'), 'r');
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(b.index, (a.index + 1) >>> 0);
  const counts = new NonceCounts(30, 1000);
  assert.equal(counts.use(a, 1, 0), 'ok');
  assert.equal(counts.use(b, 1, 0), 'ok');
  assert.equal(counts.use(a, 1, 0), 'replay');
  assert.equal(counts.use(b, 2, 0), 'ok');
});

class Subscribers implements CredentialStore {
  constructor(private readonly rows: Record<string, Credentials>) {}
  async get(username: string, domain: string): Promise<Credentials | undefined> {
    return this.rows[`${username}@${domain}`];
  }
}

function setup() {
  const clock = new FakeClock();
  const auth = new DigestAuthenticator({
    secret: 'cluster-wide digest secret', clock, random: new SeededRandom(3),
    credentials: new Subscribers({
      'alice@example.com': { password: 'wonderland' },
      'bob@example.com': { ha1: computeHa1('MD5', 'bob', 'example.com', 'builder') },
      'carol@example.com': { ha1Sha256: computeHa1('SHA-256', 'carol', 'example.com', 'secret').toUpperCase() },
    }),
  });
  return { clock, auth };
}

test('challenge: 401 WWW-Authenticate / 407 Proxy-Authenticate, SHA-256 offered before MD5', () => {
  const { auth } = setup();
  const www = auth.challenge('www', 'example.com');
  assert.equal(www.status, 401);
  assert.equal(www.headerName, 'WWW-Authenticate');
  assert.equal(www.values.length, 2);
  assert.match(www.values[0] ?? '', /^Digest realm="example.com", nonce="[A-Za-z0-9_-]{38}", qop="auth", algorithm=SHA-256$/);
  assert.match(www.values[1] ?? '', /algorithm=MD5$/);
  const proxy = auth.challenge('proxy', 'example.com', true);
  assert.deepEqual([proxy.status, proxy.reason, proxy.headerName], [407, 'Proxy Authentication Required', 'Proxy-Authenticate']);
  assert.match(proxy.values[0] ?? '', /, stale=true$/);
  assert.equal(formatChallenge({ realm: 'a"b', nonce: 'n', algorithm: 'MD5' }), 'Digest realm="a\\"b", nonce="n", algorithm=MD5');
});

test('verify from password, ha1 and ha1_sha256; wrong password and replays are refused', async () => {
  const { auth } = setup();
  const ch = auth.challenge('www', 'example.com').values;
  const req = (credentials: string) => ({ credentials, method: 'REGISTER', realm: 'example.com', requestUri: 'sip:example.com' });
  const alice = clientAnswer(ch[0] as string, { user: 'alice', password: 'wonderland', method: 'REGISTER', uri: 'sip:example.com' });
  const ok1 = await auth.verify(req(alice));
  assert.ok(ok1.ok && ok1.value.username === 'alice' && ok1.value.algorithm === 'SHA-256');
  const replay = await auth.verify(req(alice));
  assert.ok(!replay.ok && replay.error.code === 'SIP_AUTH_NC_REPLAY');
  const alice2 = clientAnswer(ch[0] as string, { user: 'alice', password: 'wonderland', method: 'REGISTER', uri: 'sip:example.com', nc: 2 });
  assert.ok((await auth.verify(req(alice2))).ok, 'next nc on the same nonce');
  // A nonce belongs to one client: bob gets his own challenge (nonce-counts are kept per nonce).
  const chBob = auth.challenge('www', 'example.com').values;
  const bob = clientAnswer(chBob[1] as string, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com' });
  assert.ok((await auth.verify(req(bob))).ok, 'MD5 from the ha1 column');
  const chCarol = auth.challenge('www', 'example.com').values;
  const carol = clientAnswer(chCarol[0] as string, { user: 'carol', password: 'secret', method: 'REGISTER', uri: 'sip:example.com' });
  assert.ok((await auth.verify(req(carol))).ok, 'SHA-256 from ha1_sha256 (upper-case hex stored)');
  const bobSha = clientAnswer(chBob[0] as string, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com', nc: 2 });
  const noSecret = await auth.verify(req(bobSha));
  assert.ok(!noSecret.ok && noSecret.error.code === 'SIP_AUTH_NO_SECRET');
  const wrong = clientAnswer(ch[0] as string, { user: 'alice', password: 'wrong', method: 'REGISTER', uri: 'sip:example.com', nc: 3 });
  const bad = await auth.verify(req(wrong));
  assert.ok(!bad.ok && bad.error.code === 'SIP_AUTH_BAD_RESPONSE' && bad.error.action === 'challenge');
  // RFC 7616 §3.4: the credentials use an algorithm the challenge offered; MD5-sess was not.
  const sess = clientAnswer(chBob[1] as string, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com', nc: 2, algorithm: 'MD5-sess' });
  const notOffered = await auth.verify(req(sess));
  assert.ok(!notOffered.ok && notOffered.error.code === 'SIP_AUTH_UNSUPPORTED', 'MD5-sess not offered');
});

test('an -sess algorithm verifies from the stored ha1 when it is the one offered', async () => {
  const auth = new DigestAuthenticator({
    secret: 'cluster-wide digest secret', clock: new FakeClock(), random: new SeededRandom(5), algorithms: ['MD5-sess'],
    credentials: new Subscribers({ 'bob@example.com': { ha1: computeHa1('MD5', 'bob', 'example.com', 'builder') } }),
  });
  const ch = auth.challenge('www', 'example.com').values[0] as string;
  assert.match(ch, /algorithm=MD5-sess/);
  const sess = clientAnswer(ch, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com', algorithm: 'MD5-sess' });
  assert.ok((await auth.verify({ credentials: sess, method: 'REGISTER', realm: 'example.com', requestUri: 'sip:example.com' })).ok);
});

test('qop: only the offered qop=auth (or none, RFC 2069 form) is accepted; auth-int was not offered', async () => {
  const { auth } = setup();
  const ch = auth.challenge('www', 'example.com').values[1] as string;
  assert.match(ch, /qop="auth"/);
  const req = (credentials: string) => ({ credentials, method: 'REGISTER', realm: 'example.com', requestUri: 'sip:example.com', body: '' });
  const authInt = clientAnswer(ch, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com', qop: 'auth-int' });
  const r = await auth.verify(req(authInt));
  assert.ok(!r.ok && r.error.code === 'SIP_AUTH_UNSUPPORTED' && r.error.action === 'challenge');
  const plain = clientAnswer(ch, { user: 'bob', password: 'builder', method: 'REGISTER', uri: 'sip:example.com', qop: 'auth' });
  assert.ok((await auth.verify(req(plain))).ok);
});

test('verify failures map to challenge, stale or 400', async () => {
  const { clock, auth } = setup();
  const ch = auth.challenge('www', 'example.com').values[0] as string;
  const answer = (o: Partial<{ user: string; uri: string }> = {}) =>
    clientAnswer(ch, { user: o.user ?? 'alice', password: 'wonderland', method: 'REGISTER', uri: o.uri ?? 'sip:example.com' });
  const run = async (credentials: string, realm = 'example.com') => {
    const r = await auth.verify({ credentials, method: 'REGISTER', realm, requestUri: 'sip:example.com' });
    assert.ok(!r.ok);
    return [r.error.code, r.error.action];
  };
  assert.deepEqual(await run(answer({ user: 'mallory' })), ['SIP_AUTH_UNKNOWN_USER', 'challenge']);
  assert.deepEqual(await run(answer(), 'other.com'), ['SIP_AUTH_REALM', 'challenge']);
  assert.deepEqual(await run(answer({ uri: 'sip:elsewhere.com' })), ['SIP_AUTH_URI_MISMATCH', 'bad-request']);
  assert.deepEqual(await run('Digest username="a"'), ['SIP_AUTH_MALFORMED', 'bad-request']);
  assert.deepEqual(await run(answer().replace(/nonce="[^"]+"/, 'nonce="forged"')), ['SIP_AUTH_NONCE_INVALID', 'challenge']);
  assert.deepEqual(await run(answer().replace('algorithm=SHA-256', 'algorithm=SHA-1')), ['SIP_AUTH_UNSUPPORTED', 'challenge']);
  clock.advance(30_000);
  assert.deepEqual(await run(answer()), ['SIP_AUTH_NONCE_STALE', 'stale']);
  // RFC 2617 §3.2.1: stale=true only with a valid digest for the old nonce; a wrong password is a plain challenge.
  const wrong = clientAnswer(ch, { user: 'alice', password: 'guess', method: 'REGISTER', uri: 'sip:example.com' });
  assert.deepEqual(await run(wrong), ['SIP_AUTH_BAD_RESPONSE', 'challenge']);
});

test('a plain password hashed once per credentials object still answers for the realm, user and algorithm asked', async () => {
  // One Credentials object behind two user names and two realms (a store may share rows): the
  // H(A1) remembered for one (user, realm, hash) must not be used for another.
  const shared: Credentials = { password: 'wonderland' };
  const store: CredentialStore = { get: (user, domain) => ((user === 'alice' || user === 'alias') && (domain === 'a.example' || domain === 'b.example') ? shared : undefined) };
  const auth = new DigestAuthenticator({ secret: 'cluster-wide digest secret', clock: new FakeClock(), random: new SeededRandom(9), credentials: store });
  const answer = async (user: string, realm: string, pick: 0 | 1, password = 'wonderland') => {
    const ch = auth.challenge('www', realm).values[pick] as string;
    const creds = clientAnswer(ch, { user, password, method: 'REGISTER', uri: `sip:${realm}` });
    return auth.verify({ credentials: creds, method: 'REGISTER', realm, requestUri: `sip:${realm}` });
  };
  for (let round = 0; round < 2; round++) {
    for (const [user, realm, pick] of [['alice', 'a.example', 0], ['alice', 'b.example', 0], ['alias', 'a.example', 0], ['alice', 'a.example', 1], ['alias', 'b.example', 1]] as const) {
      const r = await answer(user, realm, pick);
      assert.ok(r.ok, `${user}@${realm} ${pick === 0 ? 'SHA-256' : 'MD5'} round ${round}: ${r.ok ? '' : r.error.code}`);
    }
  }
  const wrong = await answer('alice', 'a.example', 1, 'wrong');
  assert.ok(!wrong.ok && wrong.error.code === 'SIP_AUTH_BAD_RESPONSE');
});

test('H(A2) is remembered per method and URI without changing any answer, past the memo size', () => {
  const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
  const input = { algorithm: 'MD5' as const, ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth' as const, ncText: '00000001', cnonce: '0a4f113b' };
  // The RFC 2617 §3.5 value before, between and after 3000 other URIs (the memo holds 1024).
  for (let round = 0; round < 3; round++) {
    assert.equal(computeDigestResponse({ ...input, method: 'GET', uri: '/dir/index.html' }), '6629fae49393a05397450978507c4ef1');
    for (let i = 0; i < 1500; i++) {
      const uri = `sip:u${round}x${i}@example.com`;
      const want = createHash('md5').update(`${ha1}:${input.nonce}:00000001:0a4f113b:auth:${createHash('md5').update(`REGISTER:${uri}`).digest('hex')}`).digest('hex');
      assert.equal(computeDigestResponse({ ...input, method: 'REGISTER', uri }), want);
      assert.equal(computeDigestResponse({ ...input, method: 'REGISTER', uri }), want, 'from the memo');
    }
  }
  // A long A2 (over the memo's length limit) and auth-int are computed each time, and right.
  const long = `sip:${'x'.repeat(400)}@example.com`;
  const wantLong = createHash('md5').update(`${ha1}:${input.nonce}:00000001:0a4f113b:auth:${createHash('md5').update(`INVITE:${long}`).digest('hex')}`).digest('hex');
  assert.equal(computeDigestResponse({ ...input, method: 'INVITE', uri: long }), wantLong);
});
