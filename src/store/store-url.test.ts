import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer, type Socket } from 'node:net';
import { openStore } from './open-store.ts';
import { parseStoreUrl, redact } from './store-url.ts';

describe('parseStoreUrl', () => {
  it('resolves sqlite paths against the base dir, keeps absolute ones and memory', () => {
    assert.deepEqual(parseStoreUrl('sqlite:data/node.db', '/etc/sip'), { dialect: 'sqlite', file: '/etc/sip/data/node.db' });
    assert.deepEqual(parseStoreUrl('sqlite:/var/lib/n.db', '/etc/sip'), { dialect: 'sqlite', file: '/var/lib/n.db' });
    assert.deepEqual(parseStoreUrl('sqlite:///var/lib/n.db', '/etc/sip'), { dialect: 'sqlite', file: '/var/lib/n.db' });
    assert.deepEqual(parseStoreUrl('sqlite::memory:', '/x'), { dialect: 'sqlite', file: ':memory:' });
  });

  it('accepts postgres(ql):// and mysql:// / mariadb:// with a database name', () => {
    assert.deepEqual(parseStoreUrl('postgres://u:p@db:5432/opensips', '/'),
      { dialect: 'postgres', url: 'postgres://u:p@db:5432/opensips', database: 'opensips' });
    assert.equal(parseStoreUrl('postgresql://db/x', '/').dialect, 'postgres');
    assert.deepEqual(parseStoreUrl('mariadb://root@127.0.0.1:3306/opensips', '/'),
      { dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/opensips', database: 'opensips' });
  });

  it('gives typed errors for bad URLs', () => {
    assert.throws(() => parseStoreUrl('opensips.db', '/'), { code: 'STORE_URL_INVALID' });
    assert.throws(() => parseStoreUrl('sqlite:', '/'), { code: 'STORE_URL_INVALID' });
    assert.throws(() => parseStoreUrl('postgres://db', '/'), { code: 'STORE_URL_INVALID' });
    assert.throws(() => parseStoreUrl('mysql://db/a/b', '/'), { code: 'STORE_URL_INVALID' });
    assert.throws(() => parseStoreUrl('oracle://db/x', '/'), { code: 'STORE_URL_UNSUPPORTED' });
  });

  it('never shows a password in messages', () => {
    assert.equal(redact('postgres://u:secret@h/db'), 'postgres://u:***@h/db');
    assert.throws(() => parseStoreUrl('mysql://u:secret@h', '/'), (e: Error) => !e.message.includes('secret'));
  });
});

describe('openStore', () => {
  it('opens and migrates an in-memory SQLite store', async () => {
    const s = await openStore('sqlite::memory:', { baseDir: '/' });
    assert.equal(s.dialect, 'sqlite');
    assert.equal(s.migration?.applied.length, 3);
    await s.close();
  });

  it('reports an unreachable server or unusable file as STORE_CONNECT_FAILED', async () => {
    await assert.rejects(openStore('postgres://u:secret@127.0.0.1:1/db', { baseDir: '/' }),
      (e: Error & { code?: string }) => e.code === 'STORE_CONNECT_FAILED' && !e.message.includes('secret'));
    await assert.rejects(openStore('mysql://root@127.0.0.1:1/db', { baseDir: '/' }), { code: 'STORE_CONNECT_FAILED' });
    await assert.rejects(openStore('sqlite:no/such/dir/x.db', { baseDir: '/nonexistent' }), { code: 'STORE_CONNECT_FAILED' });
  });

  it('gives up on a server that accepts the connection and never answers (STORE_CONNECT_FAILED, not a hang)', async () => {
    const held: Socket[] = [];
    const silent = createServer((c) => { held.push(c); }); // accepts, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      for (const url of [`postgres://u:secret@127.0.0.1:${port}/db`, `mysql://u:secret@127.0.0.1:${port}/db`]) {
        const t0 = Date.now();
        await assert.rejects(openStore(url, { baseDir: '/', connectTimeoutMs: 300 }), { code: 'STORE_CONNECT_FAILED' }, url);
        assert.ok(Date.now() - t0 < 5000, `${url} took ${Date.now() - t0} ms`);
      }
    } finally {
      for (const c of held) c.destroy();
      silent.close();
    }
  });
});
