import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeartbeatLink } from './heartbeat-link.ts';
import type { HeartbeatOutput } from './heartbeat-link.ts';
import { FAST_HEARTBEAT, OPENSIPS_DEFAULT_HEARTBEAT, worstCaseDetectionMs } from './heartbeat-params.ts';
import type { HeartbeatParams } from './heartbeat-params.ts';
import { HEARTBEAT_TABLE, miLinkState } from './heartbeat-table.ts';
import { SeededRandom } from '../../lib/fake-time.ts';

const kinds = (o: readonly HeartbeatOutput[]): string[] => o.map((x) => (x.kind === 'send-ping' ? `ping${x.reqNodeList ? '+list' : ''}` : x.kind));

/**
 * Drives one link against a scripted peer with a 1 ms tick. The peer answers each PING after
 * `latencyMs` unless it is dead or blocked; a blocked peer answers when it wakes up.
 */
function run(params: HeartbeatParams, opts: { untilMs: number; deadAtMs?: number; blocked?: (t: number) => boolean; latencyMs?: number; selfBlocked?: (t: number) => boolean }) {
  const link = new HeartbeatLink(params, 0);
  const latency = opts.latencyMs ?? 1;
  const pongsAt: number[] = [];
  const events: Array<[number, string]> = [];
  const pings: Array<[number, boolean]> = [];
  for (let t = 0; t <= opts.untilMs; t++) {
    if (opts.selfBlocked?.(t)) continue; // our loop is blocked: neither ticks nor receptions run
    // Worst order after a stall (Node runs timers before I/O): the tick first, then the queue.
    const step = link.tick(t);
    for (const o of step.outputs) {
      if (o.kind === 'send-ping') {
        pings.push([t, o.reqNodeList]);
        if (opts.deadAtMs === undefined || t < opts.deadAtMs) {
          let answer = t + latency;
          while (opts.blocked?.(answer)) answer++;
          pongsAt.push(answer + latency);
        }
      } else events.push([t, o.kind]);
    }
    while (pongsAt.length > 0 && (pongsAt[0] as number) <= t) {
      pongsAt.shift();
      for (const o of link.input('pong', t).outputs) if (o.kind !== 'send-ping') events.push([t, o.kind]);
    }
  }
  return { link, events, pings };
}

test('trans 0: a new link pings with req_node_list=1 at once and a PONG brings it Up (vectors 01 #4-#7)', () => {
  const link = new HeartbeatLink(OPENSIPS_DEFAULT_HEARTBEAT, 0);
  assert.equal(link.state, 'restart-pending');
  assert.deepEqual(kinds(link.tick(0).outputs), ['ping+list']);
  assert.equal(link.state, 'probing');
  assert.equal(miLinkState(link.state), 'Probe');
  assert.deepEqual(kinds(link.input('pong', 2).outputs), ['link-up']);
  assert.equal(miLinkState(link.state), 'Up');
});

test('probing needs a PONG: other traffic from a node that may not know us does not bring the link Up', () => {
  const link = new HeartbeatLink(OPENSIPS_DEFAULT_HEARTBEAT, 0);
  link.tick(0);
  assert.deepEqual(kinds(link.input('traffic', 1).outputs), []);
  assert.deepEqual(kinds(link.input('ping', 2).outputs), []);
  assert.equal(link.state, 'probing');
});

test('probing keeps its PONG deadline when the peer pings us: a lost PONG is retried, never waited on forever (sim, 5% loss)', () => {
  const link = new HeartbeatLink(FAST_HEARTBEAT, 0);
  link.tick(0);
  link.input('ping', 10);
  assert.equal(link.nextDeadlineMs(), FAST_HEARTBEAT.pingTimeoutMs);
  assert.deepEqual(kinds(link.tick(FAST_HEARTBEAT.pingTimeoutMs).outputs), ['ping+list']);
});

test('trans 5: an Up link pings every ping_interval with req_node_list=0 (vectors 01 #62)', () => {
  const { pings, events } = run(OPENSIPS_DEFAULT_HEARTBEAT, { untilMs: 12_500 });
  assert.deepEqual(events, [[2, 'link-up']]);
  assert.deepEqual(pings, [[0, true], [4000, false], [8000, false], [12_000, false]]);
});

test('liveness counts any traffic: a PING answered by other traffic is not overdue', () => {
  const link = new HeartbeatLink(FAST_HEARTBEAT, 0);
  link.tick(0);
  link.input('pong', 1);
  for (let t = 2; t < 5000; t++) {
    link.tick(t);
    if (t % 100 === 0) link.input('traffic', t); // e.g. replication packets, never a PONG
    const ping = link.nextDeadlineMs();
    assert.ok(ping > t, 'deadline in the future');
  }
  assert.equal(link.state, 'up');
});

test('OpenSIPS defaults: a dead node is Down after ping_interval + (1 + no_ping_retries) * ping_timeout, retries ask for the node list', () => {
  const { events, pings } = run(OPENSIPS_DEFAULT_HEARTBEAT, { untilMs: 20_000, deadAtMs: 100 });
  const down = events.find((e) => e[1] === 'link-down');
  assert.ok(down);
  assert.equal(down[0], 4000 + 4 * 1000);
  assert.deepEqual(pings.filter((p) => p[0] > 4000 && p[0] <= 8000).map((p) => p[1]), [true, true, true]);
  assert.equal(events.filter((e) => e[1] === 'link-down').length, 1, 'Down is reported once');
});

test('trans 4: a Down node is probed again after node_timeout with req_node_list=1, and comes back Up on a PONG', () => {
  const p = OPENSIPS_DEFAULT_HEARTBEAT;
  const link = new HeartbeatLink(p, 0, 'down');
  assert.deepEqual(kinds(link.tick(0).outputs), ['ping+list']);
  for (let t = 1; t < 5000; t++) link.tick(t); // no answer: back to Down after the retries
  assert.equal(link.state, 'down');
  assert.deepEqual(kinds(link.tick(p.nodeTimeoutMs - 1).outputs), []);
  const lastPing = 3000; // the last retry
  assert.deepEqual(kinds(link.tick(lastPing + p.nodeTimeoutMs).outputs), ['ping+list']);
  assert.deepEqual(kinds(link.input('pong', lastPing + p.nodeTimeoutMs + 1).outputs), ['link-up']);
});

test('handle_ping: a PING from a Down node restarts pinging at once', () => {
  const link = new HeartbeatLink(OPENSIPS_DEFAULT_HEARTBEAT, 0, 'down');
  link.tick(0);
  for (let t = 1; t < 5000; t++) link.tick(t);
  assert.equal(link.state, 'down');
  assert.deepEqual(kinds(link.input('ping', 6000).outputs), ['ping+list']);
  assert.equal(link.state, 'probing');
});

test('handle_unknown_id: an Up neighbor that forgot us is reported Down and re-pinged', () => {
  const link = new HeartbeatLink(OPENSIPS_DEFAULT_HEARTBEAT, 0);
  link.tick(0);
  link.input('pong', 1);
  assert.deepEqual(kinds(link.input('unknown-id', 10).outputs), ['link-down']);
  assert.deepEqual(kinds(link.tick(11).outputs), ['ping+list']);
});

test('no_ping_retries=0: the first overdue reply is Down (trans 2)', () => {
  const { events } = run({ ...FAST_HEARTBEAT, noPingRetries: 0 }, { untilMs: 2000, deadAtMs: 50 });
  assert.deepEqual(events.filter((e) => e[1] === 'link-down'), [[200 + 350, 'link-down']]);
});

test('a closed connection starts the retries at once (vectors 04: FIN, then reconnects fail)', () => {
  const link = new HeartbeatLink(FAST_HEARTBEAT, 0);
  link.tick(0);
  link.input('pong', 1);
  assert.deepEqual(kinds(link.input('connection-closed', 50).outputs), ['ping+list']);
  link.input('send-failed', 50);
  let downAt = -1;
  for (let t = 51; t < 2000 && downAt < 0; t++) if (link.tick(t).outputs.some((o) => o.kind === 'link-down')) downAt = t;
  assert.equal(downAt, 50 + 2 * 350);
});

test('cl_set_state: disabling an Up link reports it Down; enabling restarts pinging', () => {
  const link = new HeartbeatLink(OPENSIPS_DEFAULT_HEARTBEAT, 0);
  link.tick(0);
  link.input('pong', 1);
  assert.deepEqual(kinds(link.input('disable', 5).outputs), ['link-down']);
  assert.deepEqual(kinds(link.tick(100_000).outputs), []);
  assert.equal(miLinkState(link.state), 'Down');
  link.input('enable', 100_001);
  assert.deepEqual(kinds(link.tick(100_002).outputs), ['ping+list']);
});

test('FAST settings: a dead node is reported Down within 1 s whatever the phase of its death', () => {
  assert.ok(worstCaseDetectionMs(FAST_HEARTBEAT) <= 1000);
  const rnd = new SeededRandom(7);
  for (let i = 0; i < 40; i++) {
    const deadAt = 1000 + Math.floor(rnd.next() * 1000);
    const { events } = run(FAST_HEARTBEAT, { untilMs: deadAt + 3000, deadAtMs: deadAt, latencyMs: 1 });
    const down = events.find((e) => e[1] === 'link-down');
    assert.ok(down, `death at ${deadAt} detected`);
    assert.ok(down[0] - deadAt <= 1000, `death at ${deadAt} detected after ${down[0] - deadAt} ms`);
  }
});

test('FAST settings: a live peer whose event loop blocks for 300 ms at a time never flaps Down', () => {
  // Blocked 300 ms, then awake 10 ms, forever; at every phase offset.
  for (let phase = 0; phase < 310; phase += 7) {
    const blocked = (t: number): boolean => (t + phase) % 310 < 300;
    const { events } = run(FAST_HEARTBEAT, { untilMs: 20_000, blocked, latencyMs: 2 });
    assert.deepEqual(events.filter((e) => e[1] === 'link-down'), [], `phase ${phase}`);
  }
});

test('FAST settings: our own loop blocked for 300 ms at a time does not flap the neighbor Down', () => {
  for (let phase = 0; phase < 310; phase += 7) {
    const selfBlocked = (t: number): boolean => (t + phase) % 310 < 300;
    const { events } = run(FAST_HEARTBEAT, { untilMs: 20_000, selfBlocked, latencyMs: 2 });
    assert.deepEqual(events.filter((e) => e[1] === 'link-down'), [], `phase ${phase}`);
  }
});

test('the transition table is deterministic: no two rows share state, input and guard', () => {
  const seen = new Set<string>();
  for (const r of HEARTBEAT_TABLE) {
    const k = `${r.from}/${r.on}/${r.when}`;
    assert.ok(!seen.has(k), `duplicate row ${k}`);
    seen.add(k);
  }
});
