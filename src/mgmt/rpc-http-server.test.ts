import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MAX_RPC_BATCH, RpcHttpServer } from './rpc-http-server.ts';
import { RpcError, RpcRegistry, requireInt, requireString } from './rpc-registry.ts';

function server() {
  const reg = new RpcRegistry();
  reg.register({ name: 'test:echo', aliases: ['echo'], params: ['a', 'b'], handler: (p) => p });
  reg.register({ name: 'test:int', params: ['n'], handler: (p) => requireInt(p, 'n') * 2 });
  reg.register({ name: 'test:fail', handler: () => { throw new RpcError(404, 'RPC_INVALID_PARAMS', 'nothing here'); } });
  reg.register({ name: 'test:boom', handler: () => { throw new Error('bug'); } });
  reg.register({ name: 'test:async', handler: async () => 'later' });
  return new RpcHttpServer({ host: '127.0.0.1', port: 0, registry: reg, onError: () => {} });
}

test('named and positional params, aliases, async methods', async () => {
  const s = server();
  assert.deepEqual((await s.call({ jsonrpc: '2.0', method: 'echo', params: [1, 'x'], id: 1 })).result, { a: 1, b: 'x' });
  assert.deepEqual((await s.call({ jsonrpc: '2.0', method: 'test:echo', params: { a: 2 }, id: 2 })).result, { a: 2 });
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:int', params: ['21'], id: 3 })).result, 42);
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:async', id: 4 })).result, 'later');
});

test('errors are JSON-RPC errors with our stable code in data.code', async () => {
  const s = server();
  const unknown = await s.call({ jsonrpc: '2.0', method: 'nope', id: '7' });
  assert.deepEqual(unknown, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found', data: { code: 'RPC_METHOD_NOT_FOUND' } }, id: '7' });
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:int', params: { n: 'x' }, id: 1 })).error?.code, -32602);
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:echo', params: [1, 2, 3], id: 1 })).error?.code, -32602);
  assert.deepEqual((await s.call({ jsonrpc: '2.0', method: 'test:echo', params: { a: 1, bogus: 2 }, id: 1 })).error,
    { code: -32602, message: "Unknown parameter 'bogus'", data: { code: 'RPC_INVALID_PARAMS' } }, 'a named parameter the method does not take');
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:fail', id: 1 })).error?.code, 404);
  assert.equal((await s.call({ jsonrpc: '2.0', method: 'test:boom', id: 1 })).error?.code, -32603);
  assert.equal((await s.call({ method: 'x' })).error?.code, -32600);
});

test('over HTTP: POST /mi, parse errors, batches, other paths', async () => {
  const s = server();
  const addr = await s.listen();
  const url = `http://127.0.0.1:${addr.port}/mi`;
  try {
    const post = async (body: string) => (await fetch(url, { method: 'POST', body })).json() as Promise<unknown>;
    assert.deepEqual(await post('{"jsonrpc":"2.0","method":"test:int","params":[5],"id":9}'), { jsonrpc: '2.0', result: 10, id: 9 });
    assert.equal((await post('{not json') as { error: { code: number } }).error.code, -32700);
    const batch = await post('[{"jsonrpc":"2.0","method":"test:int","params":[1],"id":1},{"jsonrpc":"2.0","method":"x","id":2}]') as unknown[];
    assert.equal(batch.length, 2);
    assert.equal((await fetch(url)).status, 405);
    assert.equal((await fetch(`http://127.0.0.1:${addr.port}/other`, { method: 'POST', body: '{}' })).status, 404);
  } finally {
    await s.close();
  }
});

test('a client gone mid-body leaves no rejected promise; a batch of more than MAX_RPC_BATCH calls is one error', async () => {
  const rejections: unknown[] = [];
  const onRej = (r: unknown) => { rejections.push(r); };
  process.on('unhandledRejection', onRej);
  const s = server();
  const addr = await s.listen();
  try {
    const sock = connect(addr.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write('POST /mi HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0",');
    await new Promise((r) => setTimeout(r, 50));
    sock.destroy();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(rejections.map(String), []);
    const post = async (body: string) => (await fetch(`http://127.0.0.1:${addr.port}/mi`, { method: 'POST', body })).json() as Promise<unknown>;
    const call = '{"jsonrpc":"2.0","method":"test:int","params":[1],"id":1}';
    assert.equal((await post(`[${Array(MAX_RPC_BATCH).fill(call).join(',')}]`) as unknown[]).length, MAX_RPC_BATCH);
    const big = await post(`[${Array(MAX_RPC_BATCH + 1).fill('0').join(',')}]`) as { error: { code: number; data: { code: string } } };
    assert.deepEqual([big.error.code, big.error.data.code], [-32600, 'RPC_BATCH_TOO_LARGE']);
  } finally {
    process.off('unhandledRejection', onRej);
    await s.close();
  }
});

test('a string parameter given as a number is its decimal text (OpenSIPS get_mi_string_param); a missing one says missing', () => {
  assert.equal(requireString({ key: 100 }, 'key'), '100');
  assert.equal(requireString({ key: 'room' }, 'key'), 'room');
  assert.throws(() => requireString({}, 'aor'), /missing parameter 'aor'/);
  assert.throws(() => requireString({ aor: [1] }, 'aor'), /parameter 'aor' must be a string/);
});
