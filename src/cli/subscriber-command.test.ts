import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { openStore } from '../store/open-store.ts';
import { addSubscriberCommand, type SubscriberCommandIo } from './subscriber-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'sipcluster-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `sipcluster <args>` with the subscriber commands, capturing output and exit code. */
async function run(args: string[], password = ''): Promise<{ out: string; err: string; code: number }> {
  const r = { out: '', err: '', code: 0 };
  const io: SubscriberCommandIo = {
    out: (t) => { r.out += t; },
    err: (t) => { r.err += t; },
    fail: (c) => { r.code = c; },
    readPassword: async () => password,
  };
  const program = new Command('sipcluster').exitOverride().configureOutput({ writeErr: (t) => { r.err += t; } });
  addSubscriberCommand(program, io);
  await program.parseAsync(['node', 'sipcluster', ...args]);
  return r;
}

describe('sipcluster subscriber', () => {
  const db = `sqlite:${join(dir, 'direct.db')}`;

  it('adds, lists, removes with --db', async () => {
    assert.deepEqual(await run(['subscriber', 'add', 'alice@example.com', 'pw', '--db', db]),
      { out: 'added alice@example.com\n', err: '', code: 0 });
    await run(['subscriber', 'add', 'bob@other.org', '-', '--db', db, '--realm', 'sip.other.org'], 'from-stdin');
    assert.equal((await run(['subscriber', 'list', '--db', db])).out, 'alice@example.com\nbob@other.org\n');
    assert.equal((await run(['subscriber', 'list', 'other.org', '--db', db])).out, 'bob@other.org\n');
    assert.equal((await run(['subscriber', 'rm', 'alice@example.com', '--db', db])).out, 'removed alice@example.com\n');
    const again = await run(['subscriber', 'rm', 'alice@example.com', '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.err, /no subscriber alice@example.com/);
  });

  it('stores the hashes for the realm given, the password read from stdin', async () => {
    const s = await openStore(db, { baseDir: dir });
    const bob = await s.subscribers.get('bob', 'other.org');
    await s.close();
    assert.equal(bob?.ha1, createHash('md5').update('bob:sip.other.org:from-stdin').digest('hex'));
    assert.equal(bob?.password, '');
  });

  it('reports a duplicate with its code and exit code 1', async () => {
    await run(['subscriber', 'add', 'carol@example.com', 'pw', '--db', db]);
    const dup = await run(['subscriber', 'add', 'carol@example.com', 'pw', '--db', db]);
    assert.equal(dup.code, 1);
    assert.match(dup.err, /STORE_SUBSCRIBER_EXISTS/);
  });

  it('takes the store from a node config, relative to the config file', async () => {
    const cfg = join(dir, 'node.yaml');
    writeFileSync(cfg, 'store:\n  url: "sqlite:from-config.db"\n');
    assert.equal((await run(['subscriber', 'add', 'dave@example.com', 'pw', '-c', cfg])).code, 0);
    const s = await openStore('sqlite:from-config.db', { baseDir: dir });
    assert.equal((await s.subscribers.list()).length, 1);
    await s.close();
  });

  it('refuses bad usage with exit code 2', async () => {
    assert.equal((await run(['subscriber', 'list'])).code, 2); // neither -c nor --db
    assert.equal((await run(['subscriber', 'list', '--db', db, '-c', 'x.yaml'])).code, 2);
    assert.equal((await run(['subscriber', 'add', 'nodomain', 'pw', '--db', db])).code, 2);
    assert.equal((await run(['subscriber', 'list', '--db', 'sqlite::memory:'])).code, 2);
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'store:\n  uri: x\n');
    const bad = await run(['subscriber', 'list', '-c', cfg]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /store\.uri: unknown key/);
  });

  it('reports an unusable store URL with its code', async () => {
    const r = await run(['subscriber', 'list', '--db', 'oracle://x/y']);
    assert.equal(r.code, 1);
    assert.match(r.err, /STORE_URL_UNSUPPORTED/);
  });
});
