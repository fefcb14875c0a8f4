import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, SeededRandom } from '../../lib/fake-time.ts';
import { nullCounters } from '../../lib/counter.ts';
import { decodeBinPacket, encodeBinMessage, type GenericMessage } from '../wire/index.ts';
import { goldenPackets } from '../../../test/support/golden-bin.ts';
import { skipWithoutVectors } from '../../../test/support/vectors.ts';
import { ClusterMessaging, MAX_PENDING_REQUESTS, type GenericEvent } from './cluster-messaging.ts';

/** N messaging endpoints on a fake network with 1 ms latency; `down` nodes drop what they get. */
function mesh(n: number, clock = new FakeClock()) {
  const down = new Set<number>();
  const disabled = new Set<number>();
  const requests: Array<GenericEvent & { at: number }> = [];
  const unsolicited: Array<GenericEvent & { at: number }> = [];
  const nodes = new Map<number, ClusterMessaging>();
  const wire: Buffer[] = [];
  for (let id = 1; id <= n; id++) {
    nodes.set(id, new ClusterMessaging({
      nodeId: id, timers: clock, random: new SeededRandom(id), counters: nullCounters,
      send: (m: GenericMessage) => {
        if (down.has(m.destinationNodeId)) return 'unreachable';
        const bytes = encodeBinMessage(m);
        wire.push(bytes);
        clock.after(1, () => {
          const d = decodeBinPacket(bytes);
          if (d.ok && d.value.kind === 'generic-msg') nodes.get(m.destinationNodeId)?.receive(d.value);
        });
        return 'sent';
      },
      reachable: () => [...nodes.keys()].filter((x) => x !== id && !down.has(x)),
      enabled: () => !disabled.has(id),
      onRequest: (ev) => requests.push({ ...ev, at: id }),
      onReply: (ev) => unsolicited.push({ ...ev, at: id }),
    }));
  }
  const node = (id: number) => nodes.get(id) as ClusterMessaging;
  return { clock, node, down, disabled, requests, unsolicited, wire };
}

test('broadcast reaches every other node with an OpenSIPS-format tag; replies carry it back', async () => {
  const m = mesh(3);
  const r = m.node(1).request(1, 'WHEREIS:alice', { timeoutMs: 500, collect: 'all' });
  assert.equal(r.result, 'sent');
  assert.match(r.tag, /^1-1-[A-Za-y1-6]{24}$/);
  m.clock.advance(1);
  assert.deepEqual(m.requests.map((q) => [q.at, q.srcId, q.msg, q.tag]), [[2, 1, 'WHEREIS:alice', r.tag], [3, 1, 'WHEREIS:alice', r.tag]]);
  m.node(2).sendRpl(1, 1, 'HEREIS:alice:sip:127.0.0.1:5072', r.tag);
  m.node(3).sendRpl(1, 1, 'UNKNOWN:alice', r.tag);
  m.clock.advance(1);
  const { replies, complete } = await r.replies;
  assert.equal(complete, true);
  assert.deepEqual(replies.map((x) => [x.srcId, x.msg]), [[2, 'HEREIS:alice:sip:127.0.0.1:5072'], [3, 'UNKNOWN:alice']]);
  assert.equal(m.node(1).pending(), 0, 'resolved as soon as every reachable node answered, not at the deadline');
  assert.equal(m.clock.nowMs(), 2);
});

test("collect 'first' resolves with the first reply; later ones go to the reply handler", async () => {
  const m = mesh(3);
  const r = m.node(1).request(1, 'Q', { timeoutMs: 500, collect: 'first' });
  m.clock.advance(1);
  m.node(3).sendRpl(1, 1, 'from 3', r.tag);
  m.clock.advance(1);
  m.node(2).sendRpl(1, 1, 'from 2', r.tag);
  m.clock.advance(1);
  assert.deepEqual((await r.replies).replies.map((x) => x.msg), ['from 3']);
  assert.deepEqual(m.unsolicited.map((x) => x.msg), ['from 2']);
});

test('the deadline resolves with what arrived; a reply after it is reported, not lost', async () => {
  const m = mesh(3);
  const r = m.node(1).request(1, 'Q', { timeoutMs: 100, collect: 'all' });
  m.clock.advance(1);
  m.node(2).sendRpl(1, 1, 'on time', r.tag);
  m.clock.advance(150);
  const got = await r.replies;
  assert.deepEqual(got.replies.map((x) => x.msg), ['on time']);
  assert.equal(got.complete, false, 'node 3 did not answer in time');
  m.node(3).sendRpl(1, 1, 'late', r.tag);
  m.clock.advance(1);
  assert.deepEqual(m.unsolicited.map((x) => x.msg), ['late']);
});

test('unicast, unreachable, disabled and includeSelf (OpenSIPS 3.6) give the named results', async () => {
  const m = mesh(3);
  const u = m.node(2).sendReq(1, 3, 'to three');
  assert.equal(u.result, 'sent');
  m.down.add(3);
  assert.equal(m.node(2).sendReq(1, 3, 'x').result, 'unreachable');
  m.down.add(1);
  assert.equal(m.node(2).broadcastReq(1, 'x').result, 'unreachable');
  const self = m.node(2).broadcastReq(1, 'me too', true);
  assert.equal(self.result, 'sent', 'delivered to ourselves');
  m.disabled.add(2);
  assert.equal(m.node(2).broadcastReq(1, 'x').result, 'disabled');
  assert.equal(m.node(2).sendReq(1, 1, 'y'.repeat(70_000)).result, 'disabled');
  m.disabled.delete(2);
  m.down.clear();
  assert.equal(m.node(2).sendReq(1, 1, 'y'.repeat(70_000)).result, 'failed');
  m.clock.advance(5);
  assert.ok(m.requests.some((q) => q.at === 2 && q.srcId === 2 && q.msg === 'me too'));
  const empty = m.node(2).request(1, 'nobody', { nodeId: 3, timeoutMs: 50, collect: 'all' });
  m.down.add(3);
  const unreached = m.node(2).request(1, 'nobody', { nodeId: 3, timeoutMs: 50, collect: 'all' });
  assert.equal(unreached.result, 'unreachable');
  assert.deepEqual(await unreached.replies, { replies: [], complete: false }, 'a node named and not reached: its answer is missing');
  m.down.add(1);
  const none = m.node(2).request(1, 'anyone', { timeoutMs: 50, collect: 'all' });
  assert.equal(none.result, 'unreachable');
  assert.deepEqual(await none.replies, { replies: [], complete: true }, 'a broadcast with nobody to ask: nobody said otherwise');
  m.clock.advance(60);
  assert.equal((await empty.replies).replies.length, 0);
});

test('a node going down is no longer waited for, and its lost answer makes the result incomplete', async () => {
  const m = mesh(3);
  const r = m.node(1).request(1, 'Q', { timeoutMs: 10_000, collect: 'all' });
  m.clock.advance(1);
  m.node(2).sendRpl(1, 1, 'two', r.tag);
  m.clock.advance(1);
  m.node(1).nodeDown(3);
  const done = await r.replies;
  assert.deepEqual(done.replies.map((x) => x.msg), ['two']);
  assert.equal(done.complete, false);
  assert.equal(m.clock.nowMs(), 2);
});

test('interop: the GENERIC_MSG packets of vectors 03 become the events our handlers get, and ours encode to the same bytes', { skip: skipWithoutVectors('opensips-bin') }, () => {
  const generic = goldenPackets('03-generic-msg-bcast-send.pcap').map((b) => ({ b, d: decodeBinPacket(b) }))
    .filter((x) => x.d.ok && x.d.value.kind === 'generic-msg');
  assert.ok(generic.length >= 8, `found ${generic.length} GENERIC_MSG packets`);
  for (const { b, d } of generic) {
    assert.ok(d.ok && d.value.kind === 'generic-msg');
    const g = d.value;
    // What a receiving node's handler sees:
    const seen: GenericEvent[] = [];
    const clock = new FakeClock();
    const rx = new ClusterMessaging({
      nodeId: g.destinationNodeId, timers: clock, random: new SeededRandom(1), counters: nullCounters,
      send: () => 'sent', reachable: () => [], enabled: () => true, onRequest: (ev) => seen.push(ev), onReply: (ev) => seen.push(ev),
    });
    rx.receive(g);
    assert.deepEqual(seen, [{ clusterId: g.clusterId, srcId: g.sourceNodeId, msg: g.payload.toString('utf8'), tag: g.tag }]);
    // And what our sendRpl / sendReq put on the wire for the same fields:
    let out: Buffer | undefined;
    const tx = new ClusterMessaging({
      nodeId: g.sourceNodeId, timers: clock, random: new SeededRandom(1), counters: nullCounters,
      send: (m) => { out = encodeBinMessage(m); return 'sent'; }, reachable: () => [g.destinationNodeId], enabled: () => true, onRequest: () => {}, onReply: () => {},
    });
    if (g.isRequest) {
      // Our tag is random; encode with the captured tag through the same path a reply takes.
      tx.sendRpl(g.clusterId, g.destinationNodeId, g.payload.toString('utf8'), g.tag);
      assert.ok(out !== undefined);
      const again = Buffer.from(out);
      again.writeInt32LE(1, 4 + 4 + 2 + 2 + 'clusterer-extra'.length + 4); // req_like = 1 as captured
      assert.deepEqual(again, b);
    } else {
      tx.sendRpl(g.clusterId, g.destinationNodeId, g.payload.toString('utf8'), g.tag);
      assert.deepEqual(out, b);
    }
  }
});

test('a wait takes one reply per node asked: another node\'s reply with the tag, or a second copy, goes to the reply handler', async () => {
  const m = mesh(3);
  const uni = m.node(1).request(1, 'q', { nodeId: 3, timeoutMs: 500, collect: 'first' });
  // Node 2 was not asked but knows the tag: it cannot answer for node 3.
  m.node(2).sendRpl(1, 1, 'impostor', uni.tag);
  m.clock.advance(2);
  m.node(3).sendRpl(1, 1, 'real', uni.tag);
  m.clock.advance(2);
  const got = await uni.replies;
  assert.deepEqual(got.replies.map((r) => [r.srcId, r.msg]), [[3, 'real']]);
  assert.deepEqual(m.unsolicited.map((r) => [r.srcId, r.msg]), [[2, 'impostor']]);
  const all = m.node(1).request(1, 'q', { timeoutMs: 500, collect: 'all' });
  m.node(2).sendRpl(1, 1, 'a', all.tag);
  m.node(2).sendRpl(1, 1, 'a again', all.tag);
  m.node(3).sendRpl(1, 1, 'b', all.tag);
  m.clock.advance(2);
  const both = await all.replies;
  assert.deepEqual(both.replies.map((r) => r.srcId).sort(), [2, 3], 'one answer per node');
  assert.equal(both.complete, true);
});

test('request(): the timeout must be an integer of 1 ms to 10 min; at most MAX_PENDING_REQUESTS waits at once', () => {
  const m = mesh(2);
  for (const timeoutMs of [Number.NaN, -1, 0, 1.5, 2 ** 31, undefined as unknown as number]) {
    assert.throws(() => m.node(1).request(1, 'q', { timeoutMs, collect: 'all' }), RangeError, String(timeoutMs));
  }
  for (let i = 0; i < MAX_PENDING_REQUESTS; i++) assert.equal(m.node(1).request(1, 'q', { timeoutMs: 600_000, collect: 'all' }).result, 'sent');
  const refused = m.node(1).request(1, 'q', { timeoutMs: 1000, collect: 'all' });
  assert.equal(refused.result, 'failed');
  assert.equal(m.node(1).pending(), MAX_PENDING_REQUESTS);
});
