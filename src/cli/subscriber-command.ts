import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../app/config/load-config.ts';
import { SipclusterError } from '../lib/errors.ts';
import { openStore, type Store } from '../store/open-store.ts';

/** Where the command writes and how it reports its exit code; tests pass their own. */
export interface SubscriberCommandIo {
  out(text: string): void;
  err(text: string): void;
  /** 1 failure, 2 bad usage or invalid config (same codes as the rest of `sipcluster`). */
  fail(code: 1 | 2): void;
  /** Read when the password argument is `-` (keeps it out of shell history and `ps`). */
  readPassword(): Promise<string>;
}

const processIo: SubscriberCommandIo = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  fail: (code) => { process.exitCode = code; },
  readPassword: async () => {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) { rl.close(); return line; }
    return '';
  },
};

interface StoreOptions { config?: string; db?: string }

/**
 * Adds `subscriber add|rm|list` to the `sipcluster` command: digest credentials in the
 * OpenSIPS-compatible `subscriber` table of the node's store (like `opensips-cli -x user add`).
 * The store comes from the node config (`-c node.yaml`, its `store.url`) or directly (`--db URL`).
 */
export function addSubscriberCommand(program: Command, io: SubscriberCommandIo = processIo): Command {
  const sub = program.command('subscriber').description('manage SIP subscribers (digest credentials) in the store');
  const withStore = (c: Command) => c
    .option('-c, --config <file>', "use the store of this node's config (store.url)")
    .option('--db <url>', 'store URL: sqlite:<file>, postgres://…, mysql://…');

  withStore(sub.command('add')
    .description('add a subscriber; its HA1 hashes (MD5, SHA-256, SHA-512/256) are computed for the realm')
    .argument('<user@domain>', 'the account, e.g. alice@example.com')
    .argument('<password>', "the password, or '-' to read it from standard input")
    .option('--realm <realm>', 'digest realm the hashes are for (default: the domain)')
    .option('--plain-password', 'also keep the password in clear (only for OpenSIPS with calculate_ha1)'))
    .action(async (account: string, password: string, o: StoreOptions & { realm?: string; plainPassword?: boolean }) => {
      const aor = parseAccount(account, io);
      if (aor === undefined) return;
      const pw = password === '-' ? await io.readPassword() : password;
      await withOpenStore(o, io, async (store) => {
        const s = await store.subscribers.add(aor.user, aor.domain, pw, {
          ...(o.realm !== undefined ? { realm: o.realm } : {}),
          storePlainPassword: o.plainPassword === true,
        });
        io.out(`added ${s.username}@${s.domain}\n`);
      });
    });

  withStore(sub.command('rm')
    .description('remove a subscriber')
    .argument('<user@domain>', 'the account'))
    .action(async (account: string, o: StoreOptions) => {
      const aor = parseAccount(account, io);
      if (aor === undefined) return;
      await withOpenStore(o, io, async (store) => {
        if (await store.subscribers.remove(aor.user, aor.domain)) {
          io.out(`removed ${aor.user}@${aor.domain}\n`);
        } else {
          io.err(`sipcluster: no subscriber ${aor.user}@${aor.domain}\n`);
          io.fail(1);
        }
      });
    });

  withStore(sub.command('list')
    .description('list subscribers, one user@domain per line')
    .argument('[domain]', 'only this domain'))
    .action(async (domain: string | undefined, o: StoreOptions) => {
      await withOpenStore(o, io, async (store) => {
        for (const s of await store.subscribers.list(domain)) io.out(`${s.username}@${s.domain}\n`);
      });
    });
  return sub;
}

function parseAccount(account: string, io: SubscriberCommandIo): { user: string; domain: string } | undefined {
  const at = account.lastIndexOf('@');
  if (at <= 0 || at === account.length - 1) {
    io.err(`sipcluster: expected user@domain, got "${account}"\n`);
    io.fail(2);
    return undefined;
  }
  return { user: account.slice(0, at), domain: account.slice(at + 1) };
}

/** Resolves the store URL, opens (and migrates) the store, runs `fn`, always closes. */
async function withOpenStore(o: StoreOptions, io: SubscriberCommandIo, fn: (s: Store) => Promise<void>): Promise<void> {
  let url: string;
  let baseDir: string;
  if ((o.config === undefined) === (o.db === undefined)) {
    io.err('sipcluster: give exactly one of -c <node.yaml> or --db <url>\n');
    io.fail(2);
    return;
  }
  if (o.db !== undefined) {
    url = o.db;
    baseDir = process.cwd();
  } else {
    try {
      const loaded = loadConfigFile(o.config ?? '');
      url = loaded.config.store.url;
      baseDir = loaded.baseDir;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io.err(`${e.message}\n`);
      io.fail(2);
      return;
    }
  }
  if (url === 'sqlite::memory:') {
    // The node's default: nothing outlives the process, so there is nothing to administer.
    io.err('sipcluster: the store is sqlite::memory: (gone when the node stops); set store.url to a file or server\n');
    io.fail(2);
    return;
  }
  let store: Store | undefined;
  try {
    store = await openStore(url, { baseDir });
    await fn(store);
  } catch (e) {
    if (!(e instanceof SipclusterError)) throw e;
    io.err(`sipcluster: ${e.code}: ${e.message}\n`);
    io.fail(1);
  } finally {
    await store?.close();
  }
}
