import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerCoreMethods } from './core-methods.ts';
import { RpcError, RpcRegistry } from './rpc-registry.ts';
import { StatisticsRegistry } from './statistics.ts';

function node() {
  const reg = new RpcRegistry();
  const stats = new StatisticsRegistry();
  registerCoreMethods(reg, {
    version: '0.0.0-test', startedAtWallMs: 0, wallMs: () => 1000, pid: 4242, stats,
    getLogLevel: () => 3, setLogLevel: () => {},
  });
  const call = (name: string, params: Record<string, unknown> = {}): unknown => {
    const m = reg.lookup(name);
    assert.ok(m, `${name} is registered`);
    return m.handler(params);
  };
  return { reg, stats, call };
}

test('core:ps (OpenSIPS ps) lists the one process of the node in OpenSIPS\'s shape: Processes [{ID, PID, Type}]', () => {
  const { call, reg } = node();
  assert.deepEqual(call('core:ps'), { Processes: [{ ID: 0, PID: 4242, Type: 'sipcluster node' }] });
  assert.deepEqual(call('ps'), call('core:ps'), '3.x name');
  assert.ok(reg.names().includes('core:ps'), 'core:which lists it');
});

test('statistics:reset (reset_statistics) resets the counters named, a group: or all; gauges stay', () => {
  const { call, stats } = node();
  stats.counter('core:rcv_requests').inc(3);
  stats.counter('core:rcv_replies').inc(2);
  stats.counter('usrloc:expires').inc(5);
  stats.gauge('clusterer:clusterer_nodes').set(2);
  assert.equal(call('statistics:reset', { statistics: ['core:rcv_requests'] }), 'OK');
  assert.deepEqual(stats.get(['core:']), { 'core:rcv_requests': 0, 'core:rcv_replies': 2 });
  assert.equal(call('reset_statistics', { statistics: ['core:'] }), 'OK');
  assert.deepEqual(stats.get(['core:']), { 'core:rcv_requests': 0, 'core:rcv_replies': 0 });
  stats.counter('core:rcv_requests').inc();
  assert.equal(call('statistics:reset', { statistics: ['all'] }), 'OK');
  assert.deepEqual(stats.get(['all']), { 'core:rcv_requests': 0, 'core:rcv_replies': 0, 'usrloc:expires': 0, 'clusterer:clusterer_nodes': 2 });
});

test('statistics:reset of names none of which exists answers 404 "Statistics Not Found", as OpenSIPS; known ones among unknown are reset', () => {
  const { call, stats } = node();
  stats.counter('core:rcv_requests').inc(3);
  assert.throws(() => call('statistics:reset', { statistics: ['nope:nothing', 'none:'] }), (e: unknown) =>
    e instanceof RpcError && e.rpcCode === 404 && e.code === 'RPC_STATISTICS_NOT_FOUND' && e.message === 'Statistics Not Found');
  assert.equal(call('statistics:reset', { statistics: ['nope:nothing', 'core:rcv_requests'] }), 'OK');
  assert.equal(stats.get(['core:rcv_requests'])['core:rcv_requests'], 0);
});

test('a statistic named like an Object.prototype member (toString, constructor) is unknown: get and reset answer 404', () => {
  const { call } = node();
  for (const n of ['toString', 'constructor', 'hasOwnProperty']) {
    assert.throws(() => call('statistics:reset', { statistics: [n] }), (e: unknown) => e instanceof RpcError && e.rpcCode === 404, n);
  }
  assert.throws(() => call('statistics:get', { statistics: ['constructor'] }), (e: unknown) => e instanceof RpcError && e.rpcCode === 404);
});

test('statistics:get (get_statistics) answers 404 "Statistics Not Found" when no name, group or `all` matched, as OpenSIPS; known names among unknown ones are answered', () => {
  const { call, stats } = node();
  stats.counter('core:rcv_requests').inc(3);
  for (const name of ['statistics:get', 'get_statistics']) {
    assert.throws(() => call(name, { statistics: ['nope:nothing', 'none:'] }), (e: unknown) =>
      e instanceof RpcError && e.rpcCode === 404 && e.code === 'RPC_STATISTICS_NOT_FOUND' && e.message === 'Statistics Not Found', name);
  }
  assert.deepEqual(call('statistics:get', { statistics: ['nope:nothing', 'core:rcv_requests'] }), { 'core:rcv_requests': 3 });
  assert.deepEqual(call('statistics:get', { statistics: ['none:', 'core:'] }), { 'core:rcv_requests': 3 });
});

test('statistics:get all on a node with no statistics is an empty answer, not 404: OpenSIPS counts `all` as found', () => {
  const { call } = node();
  assert.deepEqual(call('statistics:get', { statistics: ['all'] }), {});
});

test('statistics:list with names none of which exists answers 404 "Statistics Not Found" too (OpenSIPS list_statistics with params)', () => {
  const { call, stats } = node();
  stats.counter('core:rcv_requests').inc();
  assert.throws(() => call('list_statistics', { statistics: ['nope:nothing'] }), (e: unknown) =>
    e instanceof RpcError && e.rpcCode === 404 && e.code === 'RPC_STATISTICS_NOT_FOUND');
  assert.deepEqual(call('statistics:list', { statistics: ['nope:nothing', 'core:'] }), { 'core:rcv_requests': 'incremental' });
  assert.deepEqual(call('statistics:list'), { 'core:rcv_requests': 'incremental' });
});
