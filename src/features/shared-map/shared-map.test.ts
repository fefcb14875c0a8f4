import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-time.ts';
import type { MapClusterPort, MapEvent } from './shared-map.ts';
import { SharedMaps } from './shared-maps.ts';
import { claimWins } from './map-table.ts';
import { decodeMapMessage, type MapMessage } from './map-messages.ts';
import { counting } from '../../../test/support/counting.ts';

/**
 * N nodes on one fake clock, their maps joined by an in-memory bus: messages are delivered at
 * once to every node that is up and not cut off; a request collects the replies of the nodes it
 * reached, and is incomplete (after its timeout on the fake clock) when one of them is frozen.
 */
class Bus {
  readonly clock = new FakeClock();
  readonly nodes = new Map<number, { maps: SharedMaps; counters: Map<string, number>; events: MapEvent[] }>();
  /** Nodes that receive nothing and answer nothing (a frozen process, a partition). */
  readonly isolated = new Set<number>();
  sent: string[] = [];
  requests: string[] = [];

  add(id: number, ttlMs = 30_000): SharedMaps {
    const c = counting();
    const events: MapEvent[] = [];
    const port: MapClusterPort = {
      broadcast: (msg) => {
        this.sent.push(`${id}>${msg}`);
        if (this.isolated.has(id)) return;
        for (const [other, n] of this.nodes) if (other !== id && !this.isolated.has(other)) n.maps.receive(id, msg, undefined);
      },
      reply: () => { throw new Error('replies go through request()'); },
      request: async (msg, opts) => {
        this.requests.push(`${id}>${opts.nodeId ?? '*'}:${msg}`);
        const targets = [...this.nodes.keys()].filter((n) => n !== id && (opts.nodeId === undefined || n === opts.nodeId));
        const replies: Array<{ srcId: number; msg: string }> = [];
        let complete = true;
        for (const t of targets) {
          if (this.isolated.has(t) || this.isolated.has(id)) { complete = false; continue; }
          const node = this.nodes.get(t);
          node?.maps.get(mapNameOf(msg))?.handle(id, decode(msg), 'tag');
          // handle() answered through this node's port.reply: capture it.
          const got = this.lastReply.get(t);
          if (got !== undefined) replies.push({ srcId: t, msg: got });
          this.lastReply.delete(t);
        }
        if (!complete) {
          await Promise.resolve();
          this.clock.advance(opts.timeoutMs);
        }
        return { replies, complete };
      },
    };
    const replying: MapClusterPort = { ...port, reply: (_to, msg) => { this.lastReply.set(id, msg); } };
    const maps = new SharedMaps([{ name: 'conference', defaultTtlMs: ttlMs }], {
      clock: this.clock, counters: c.factory, nodeId: id, port: replying, report: (e) => events.push(e),
    });
    this.nodes.set(id, { maps, counters: c.values, events });
    return maps;
  }

  private readonly lastReply = new Map<number, string>();

  map(id: number) {
    const m = this.nodes.get(id)?.maps.get('conference');
    assert.ok(m);
    return m;
  }

  owner(id: number, key: string): number | undefined {
    return this.map(id).get(key)?.ownerNodeId;
  }

  counter(id: number, name: string): number {
    return this.nodes.get(id)?.counters.get(name) ?? 0;
  }

  tick(ms: number, step = 1000): void {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      for (const n of this.nodes.values()) n.maps.tick();
    }
  }
}

function decode(text: string): MapMessage {
  const r = decodeMapMessage(text);
  assert.ok(r.ok, text);
  return r.msg;
}
function mapNameOf(text: string): string {
  return decode(text).map;
}

function three(): Bus {
  const bus = new Bus();
  bus.add(1);
  bus.add(2);
  bus.add(3);
  return bus;
}

describe('SharedMap', () => {
  test('claim: the first claim of a free key makes this node the owner and every node learns it', async () => {
    const bus = three();
    const e = await bus.map(1).claim('conf-100', 'sip:node1');
    assert.deepEqual([e.mine, e.ownerNodeId, e.value], [true, 1, 'sip:node1']);
    assert.equal(bus.owner(2, 'conf-100'), 1);
    assert.equal(bus.owner(3, 'conf-100'), 1);
    assert.equal(bus.map(2).get('conf-100')?.mine, false);
    assert.equal(bus.map(2).get('conf-100')?.value, 'sip:node1');
    assert.equal(bus.counter(1, 'map:conference_owned'), 1);
    assert.equal(bus.counter(2, 'map:conference_entries'), 1);
  });

  test('a TTL that is not a finite number is the caller\'s error (FEATURE_MAP_INVALID_TTL), before anything is asked or stored', async () => {
    const bus = three();
    for (const ttlMs of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(bus.map(1).claim('k', 'v', { ttlMs }), (e: Error & { code?: string }) => e.code === 'FEATURE_MAP_INVALID_TTL');
      assert.throws(() => bus.map(1).set('k', 'v', { ttlMs }), (e: Error & { code?: string }) => e.code === 'FEATURE_MAP_INVALID_TTL');
    }
    assert.equal(bus.map(1).get('k'), undefined);
    assert.equal(bus.owner(2, 'k'), undefined);
  });

  test('get-or-claim: a claim of a key another node owns returns that owner and claims nothing', async () => {
    const bus = three();
    await bus.map(1).claim('conf-100', 'sip:node1');
    const sent = bus.sent.length;
    const e = await bus.map(3).claim('conf-100', 'sip:node3');
    assert.deepEqual([e.mine, e.ownerNodeId, e.value], [false, 1, 'sip:node1']);
    assert.equal(bus.sent.length, sent, 'nothing announced');
  });

  test('ask first: a node that missed the announcement (it joined later) learns the owner from WHO? instead of splitting the room', async () => {
    const bus = new Bus();
    bus.add(1);
    bus.add(2);
    await bus.map(1).claim('conf-100', 'sip:node1');
    bus.add(3); // started after the SET went out: knows nothing yet
    assert.equal(bus.map(3).get('conf-100'), undefined);
    const e = await bus.map(3).claim('conf-100', 'sip:node3');
    assert.equal(e.ownerNodeId, 1);
    assert.equal(bus.owner(1, 'conf-100'), 1);
    assert.equal(bus.owner(2, 'conf-100'), 1);
  });

  test('release: the owner deletes the key everywhere; others cannot release it', async () => {
    const bus = three();
    await bus.map(1).claim('conf-100', 'sip:node1');
    assert.equal(bus.map(2).release('conf-100'), false);
    assert.equal(bus.owner(3, 'conf-100'), 1);
    assert.equal(bus.map(1).release('conf-100'), true);
    for (const id of [1, 2, 3]) assert.equal(bus.map(id).get('conf-100'), undefined);
    const e = await bus.map(2).claim('conf-100', 'sip:node2');
    assert.equal(e.ownerNodeId, 2);
  });

  test('refresh: the owner re-announces every TTL/3, so the entry outlives its TTL while held', async () => {
    const bus = new Bus();
    bus.add(1, 3000);
    bus.add(2, 3000);
    await bus.map(1).claim('conf-100', 'sip:node1');
    bus.tick(10_000, 500);
    assert.equal(bus.owner(2, 'conf-100'), 1);
    assert.ok(bus.map(2).get('conf-100')!.expiresInMs > 1000);
    const sets = bus.sent.filter((s) => s.startsWith('1>MAP:conference:SET:')).length;
    assert.ok(sets >= 10 && sets <= 12, `${sets} SETs in 10 s with TTL 3 s`);
  });

  test('expiry: without a refresh (the owner frozen) the copies lapse after the TTL and the key is free again', async () => {
    const bus = new Bus();
    bus.add(1, 3000);
    bus.add(2, 3000);
    bus.add(3, 3000);
    await bus.map(1).claim('conf-100', 'sip:node1');
    bus.isolated.add(1);
    bus.tick(2000);
    assert.equal(bus.owner(2, 'conf-100'), 1);
    bus.tick(1000);
    assert.equal(bus.map(2).get('conf-100'), undefined);
    assert.equal(bus.counter(2, 'map:conference_expired'), 1);
    // node 1 does not answer WHO?: the claim goes ahead (reported as unconfirmed).
    const e = await bus.map(2).claim('conf-100', 'sip:node2');
    assert.equal(e.ownerNodeId, 2);
    assert.deepEqual(bus.nodes.get(2)?.events.map((x) => x.kind), ['unconfirmed-claim']);
    assert.equal(bus.owner(3, 'conf-100'), 2);
  });

  test('an entry claimed without refresh lapses on the owner too', async () => {
    const bus = three();
    await bus.map(1).claim('conf-1', 'v', { ttlMs: 2000, refresh: false });
    bus.tick(2000);
    for (const id of [1, 2, 3]) assert.equal(bus.map(id).get('conf-1'), undefined);
  });

  test('node down: the entries of a node that went Down are forgotten at once, the others stay', async () => {
    const bus = three();
    await bus.map(1).claim('conf-1', 'sip:node1');
    await bus.map(3).claim('conf-3', 'sip:node3');
    bus.nodes.get(2)?.maps.nodeDown(1);
    assert.equal(bus.map(2).get('conf-1'), undefined);
    assert.equal(bus.owner(2, 'conf-3'), 3);
    assert.equal(bus.counter(2, 'map:conference_forgotten'), 1);
  });

  test('conflict rule: crossing claims converge on the earlier claim (then the lower node id), and the loser yields', async () => {
    assert.equal(claimWins({ claimedAtMs: 5, ownerNodeId: 3 }, { claimedAtMs: 6, ownerNodeId: 1 }), true);
    assert.equal(claimWins({ claimedAtMs: 5, ownerNodeId: 3 }, { claimedAtMs: 5, ownerNodeId: 1 }), false);
    assert.equal(claimWins({ claimedAtMs: 5, ownerNodeId: 1 }, { claimedAtMs: 5, ownerNodeId: 3 }), true);

    // A partition: 3 is cut off and both sides claim the room, 3 first.
    const bus = three();
    bus.isolated.add(3);
    const e3 = await bus.map(3).claim('conf-9', 'sip:node3');
    bus.clock.advance(50);
    const e1 = await bus.map(1).claim('conf-9', 'sip:node1');
    assert.ok(e3.mine && e1.mine);
    assert.ok(e3.claimedAtMs < e1.claimedAtMs);
    // The partition heals: each side hears the other's refresh or DUMP; both end on node 3.
    bus.isolated.delete(3);
    await bus.nodes.get(1)?.maps.nodeUp(3);
    await bus.nodes.get(3)?.maps.nodeUp(1);
    await bus.nodes.get(2)?.maps.nodeUp(3);
    for (const id of [1, 2, 3]) assert.equal(bus.owner(id, 'conf-9'), 3, `node ${id}`);
    assert.equal(bus.counter(1, 'map:conference_lost'), 1);
    assert.deepEqual(bus.nodes.get(1)?.events.filter((x) => x.kind === 'lost'), [{ kind: 'lost', map: 'conference', key: 'conf-9', winnerNodeId: 3 }]);
    bus.tick(30_000);
    for (const id of [1, 2, 3]) assert.equal(bus.owner(id, 'conf-9'), 3, `node ${id} after refreshes`);
    assert.equal(bus.counter(1, 'map:conference_owned'), 0);
  });

  test('equal claim times: the lower node id wins on every node, in either order of arrival', () => {
    const bus = three();
    const set = (key: string, at: number) => `MAP:conference:SET:${key}:30000:${at}:v`;
    bus.nodes.get(1)?.maps.receive(3, set('k', 100), undefined);
    bus.nodes.get(1)?.maps.receive(2, set('k', 100), undefined);
    bus.nodes.get(3)?.maps.receive(2, set('k', 100), undefined);
    bus.nodes.get(3)?.maps.receive(3, set('k', 100), undefined); // its own echo is ignored
    assert.equal(bus.owner(1, 'k'), 2);
    assert.equal(bus.owner(3, 'k'), 2);
  });

  test('late joiner: a node that comes up asks it with DUMP? and learns its live entries', async () => {
    const bus = new Bus();
    bus.add(1);
    bus.add(2);
    await bus.map(1).claim('conf-1', 'sip:node1');
    await bus.map(1).claim('conf-2', 'sip:node1');
    await bus.map(2).claim('conf-3', 'sip:node2');
    bus.add(4);
    await bus.nodes.get(4)?.maps.nodeUp(1);
    await bus.nodes.get(4)?.maps.nodeUp(2);
    assert.deepEqual(bus.map(4).list().map((e) => [e.key, e.ownerNodeId]).sort(), [['conf-1', 1], ['conf-2', 1], ['conf-3', 2]]);
    assert.ok(bus.map(4).get('conf-1')!.expiresInMs <= 30_000);
    assert.equal(bus.counter(4, 'map:conference_dumped'), 3);
  });

  test('a DUMP? to a node that does not answer is retried, then given up', async () => {
    const bus = three();
    bus.isolated.add(2);
    assert.deepEqual(await bus.nodes.get(1)?.maps.nodeUp(2), [0]);
    assert.deepEqual(bus.requests, ['1>2:MAP:conference:DUMP?', '1>2:MAP:conference:DUMP?', '1>2:MAP:conference:DUMP?']);
  });

  test('only the owner speaks for its entries: a DEL from another node, or a SET echoing our own id, changes nothing', async () => {
    const bus = three();
    await bus.map(1).claim('conf-1', 'sip:node1');
    bus.nodes.get(2)?.maps.receive(3, 'MAP:conference:DEL:conf-1', undefined);
    assert.equal(bus.owner(2, 'conf-1'), 1);
    bus.nodes.get(1)?.maps.receive(1, 'MAP:conference:SET:conf-1:1:1:evil', undefined);
    assert.equal(bus.map(1).get('conf-1')?.value, 'sip:node1');
  });

  test('malformed messages and unknown maps are counted and dropped; others are not ours', () => {
    const bus = three();
    const maps = bus.nodes.get(1)!.maps;
    assert.equal(maps.receive(2, 'MAP:conference:SET:k:x:1:v', undefined), true);
    assert.equal(maps.receive(2, 'MAP:rooms:DEL:k', undefined), true);
    assert.equal(maps.receive(2, 'BAN:1.2.3.4:1000:x', undefined), false);
    assert.equal(bus.counter(1, 'map:malformed'), 1);
    assert.equal(bus.counter(1, 'map:unknown_map'), 1);
    assert.equal(bus.map(1).list().length, 0);
  });

  test('bad keys and values from the script are refused with a code; a full map refuses new keys', async () => {
    const bus = three();
    await assert.rejects(bus.map(1).claim('a:b', 'v'), { code: 'FEATURE_MAP_INVALID_KEY' });
    await assert.rejects(bus.map(1).claim('ok', 'line\nbreak'), { code: 'FEATURE_MAP_INVALID_VALUE' });
    const small = new SharedMaps([{ name: 'conference', defaultTtlMs: 1000, maxEntries: 1 }], {
      clock: bus.clock, counters: counting().factory, nodeId: 9, port: { broadcast: () => {}, reply: () => {}, request: async () => ({ replies: [], complete: true }) },
    });
    await small.get('conference')?.claim('a', 'v');
    await assert.rejects(small.get('conference')!.claim('b', 'v'), { code: 'FEATURE_MAP_TABLE_FULL' });
  });

  test('MI remove: on the owner it releases everywhere; elsewhere it forgets the local copy only', async () => {
    const bus = three();
    await bus.map(1).claim('conf-1', 'sip:node1');
    assert.equal(bus.map(2).remove('conf-1'), 'forgotten');
    assert.equal(bus.owner(3, 'conf-1'), 1);
    assert.equal(bus.map(2).remove('conf-1'), 'not-found');
    assert.equal(bus.map(1).remove('conf-1'), 'released');
    assert.equal(bus.map(3).get('conf-1'), undefined);
  });
});
