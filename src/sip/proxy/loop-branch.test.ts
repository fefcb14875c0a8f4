/**
 * The branch and loop-hash texts (RFC 3261 §16.6 step 8, §16.11). isLoop() recomputes the hash a
 * node put in its own Via, so the text must stay exactly what it was whatever the implementation
 * (a node upgraded mid-loop compares hashes an older version wrote): the values below were printed
 * by the Number#toString(16) implementation this one replaced. Lanes with the top bit set, with
 * leading zero nibbles and random bytes of 0x00 and 0xff are among them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, type SipMessage } from '../message/index.ts';
import { loopHash, statefulBranch, statelessBranch, statelessLoopHash } from './loop-branch.ts';

function request(callId: string, cseq: number, branch: string): SipMessage {
  const r = parseMessage(Buffer.from([
    'INVITE sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}`,
    'From: <sip:alice@example.com>;tag=a1', 'To: <sip:bob@example.com>', `Call-ID: ${callId}`, `CSeq: ${cseq} INVITE`,
    'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n'), 'latin1'));
  assert.ok(r.ok);
  return r.value;
}

const GOLDEN: Array<[callId: string, cseq: number, branch: string, loop: string, stateless: string, statelessBranch: string]> = [
  ['c1@example.com', 1, 'z9hG4bK-1', '8df972e3d5faa8b3', '89c10daacd7757a0', 'z9hG4bKsc89c10daacd7757a0.5734add3'],
  ['c2@example.com', 7, 'z9hG4bK-a8f3', 'dc5f8f45944a0cf7', 'efd2ba02a8aacf28', 'z9hG4bKscefd2ba02a8aacf28.c3295716'],
  ['x', 4294967295, 'z9hG4bKzz', '053b2740f25bde82', '36e7d2dd69691829', 'z9hG4bKsc36e7d2dd69691829.e3cd359d'],
  ['3848276298@192.0.2.10', 101, 'z9hG4bK776asdhds', 'b33fee3efafc6988', '921ad49387cbb373', 'z9hG4bKsc921ad49387cbb373.d5f122be'],
];

test('loop hashes and branches keep their exact text: 16 lower-case hex digits, zero-padded', () => {
  for (const [callId, cseq, branch, loop, stateless, sb] of GOLDEN) {
    const msg = request(callId, cseq, branch);
    const below = msg.topVia;
    const h = loopHash(msg, 'sip:bob@example.com', below);
    const hs = statelessLoopHash(msg, 'sip:bob@example.com', below);
    const b = statelessBranch(hs, branch);
    assert.match(h, /^[0-9a-f]{16}$/);
    assert.equal(h, loop);
    assert.equal(hs, stateless);
    assert.equal(b, sb);
  }
});

test('a stateful branch is the prefix, the loop hash and the random bytes as two hex digits each', () => {
  const fixed = (bytes: number[]) => ({ next: () => 0, bytes: (n: number) => new Uint8Array(bytes.slice(0, n)) });
  assert.equal(statefulBranch('0123456789abcdef', fixed([0, 15, 16, 255])), 'z9hG4bKsc0123456789abcdef.000f10ff');
  assert.equal(statefulBranch('0123456789abcdef', fixed([0x80, 0x7f, 0x0a, 0xa0])), 'z9hG4bKsc0123456789abcdef.807f0aa0');
});
