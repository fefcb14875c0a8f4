import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import { NonceService } from './nonce.ts';
import { HmacSha256, hexDigest } from './one-shot-hash.ts';

test('hexDigest equals createHash for MD5, SHA-256 and SHA-512/256, UTF-8 input', () => {
  for (const name of ['md5', 'sha256', 'sha512-256']) {
    for (const data of ['', 'alice:example.com:secret', 'Mufasa:http-auth@example.org:Circle of Life', 'jäger€:realm:pw']) {
      assert.equal(hexDigest(name, data), createHash(name).update(data, 'utf8').digest('hex'), `${name} ${data}`);
    }
  }
});

test('HmacSha256 gives the bytes createHmac gives, for short, block-sized and long keys and long messages', () => {
  const head = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  for (const keyLen of [16, 33, 64, 65, 200]) {
    const key = Buffer.alloc(keyLen, 0xa5);
    key[0] = keyLen;
    const h = new HmacSha256(key);
    for (const tail of ['', 'example.com', 'ünïcødé.realm', 'r'.repeat(300)]) {
      const want = createHmac('sha256', key).update(head).update(tail, 'utf8').digest();
      const out16 = Buffer.alloc(16);
      h.macInto(head, tail, out16);
      assert.deepEqual(out16, want.subarray(0, 16), `key ${keyLen} tail ${tail.length}`);
      const out32 = Buffer.alloc(32);
      h.macInto(head, tail, out32);
      assert.deepEqual(out32, want, `key ${keyLen} tail ${tail.length} (32 bytes)`);
    }
  }
});

test('a nonce built with createHmac (base64url(ts ‖ salt ‖ HMAC-SHA256[0..16])) verifies, and one flipped MAC bit does not', () => {
  const clock = new FakeClock();
  const secret = 'cluster shared nonce secret';
  const svc = new NonceService({ secret, clock, random: new SeededRandom(3), lifetimeSec: 30 });
  const head = Buffer.alloc(12);
  head.writeUInt32BE(Math.floor(clock.wallMs() / 1000), 0);
  head.fill(0x5a, 4);
  const mac = createHmac('sha256', secret).update(head).update('example.com', 'utf8').digest().subarray(0, 16);
  const nonce = Buffer.concat([head, mac]).toString('base64url');
  assert.equal(svc.check(nonce, 'example.com'), 'valid');
  assert.equal(svc.issuedSec(nonce, 'example.com'), head.readUInt32BE(0));
  assert.equal(svc.check(nonce, 'example.org'), 'invalid');
  mac[3] = (mac[3] as number) ^ 1;
  assert.equal(svc.check(Buffer.concat([head, mac]).toString('base64url'), 'example.com'), 'invalid');
  // And the other way round: what issue() writes is what createHmac computes.
  const issued = Buffer.from(svc.issue('example.com'), 'base64url');
  assert.deepEqual(issued.subarray(12), createHmac('sha256', secret).update(issued.subarray(0, 12)).update('example.com').digest().subarray(0, 16));
});
