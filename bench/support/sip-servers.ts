import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports.ts';
import { kamailioConfig } from './kamailio-config.ts';
import { waitSipReady } from './sip-probe.ts';
import { startTs } from './proc.ts';
import { openStore } from '../../src/store/open-store.ts';
import { KyselySubscriberRepo } from '../../src/store/subscriber-repo.ts';

/** A server under test: its root PID (CPU is summed over its process tree) and SIP port. */
export interface SipServer {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Digest auth on REGISTER. */
  auth: boolean;
  /** The bench's subscribers: `user<i>` / `pw<i>` for i < users (same as the SIPp CSV). */
  users: number;
  /** `user;password;[authentication …]` CSV the SIPp side uses; the sipcluster template may load it. */
  usersCsv: string;
  dir: string;
}

const KAMAILIO = '/usr/sbin/kamailio';

/** Installs Debian's kamailio package when the binary is missing (root; needs the network once). */
export function ensureKamailio(): void {
  if (existsSync(KAMAILIO)) return;
  console.log('bench:sip: kamailio is not installed, installing it with apt-get…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'kamailio'], { stdio: 'inherit', env });
}

function track(child: ChildProcess, what: string): { log: () => string; stop: () => Promise<void> } {
  let log = '';
  const keep = (d: Buffer) => { log += d.toString(); if (log.length > 100_000) log = log.slice(-50_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => { console.error(`${what} did not stop on SIGTERM, killing it`); child.kill('SIGKILL'); }, 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Kamailio in the foreground (-DD: the creator process does not daemonize, so its PID is ours and
 * its workers are its children), logging to stderr (-E), with the fast allocator (-x fm: the
 * default of Debian's build carries debugging that costs up to 4×), 256 MB shared / 32 MB private.
 */
export async function startKamailio(o: ServerOptions): Promise<SipServer> {
  ensureKamailio();
  const port = await freePort();
  const cfg = join(o.dir, `kamailio-${o.auth ? 'auth' : 'noauth'}.cfg`);
  writeFileSync(cfg, kamailioConfig({ port, users: o.users, userPrefix: 'user', passwordPrefix: 'pw' }));
  const args = ['-DD', '-E', '-x', 'fm', '-m', '256', '-M', '32', '-w', o.dir, '-f', cfg, ...(o.auth ? ['-A', 'WITH_AUTH'] : [])];
  const child = spawn(KAMAILIO, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child, 'kamailio');
  try {
    await waitSipReady(port);
  } catch (e) {
    await t.stop();
    throw new Error(`kamailio did not start: ${(e as Error).message}\n${t.log().slice(-3000)}`);
  }
  return { name: 'kamailio', port, pid: child.pid as number, stop: t.stop };
}

/**
 * A sipcluster node from a config template (bench/configs/sipcluster-registrar.yaml): the harness
 * replaces {{SIP_PORT}}, {{MI_PORT}}, {{AUTH}} (true/false), {{USERS_CSV}} and {{ROUTES_DIR}}.
 */
export async function startSipcluster(template: string, root: string, o: ServerOptions): Promise<SipServer> {
  const port = await freePort();
  const miPort = await freePort();
  const storeFile = join(o.dir, `sipcluster-${o.auth ? 'auth' : 'noauth'}.db`);
  await provisionSubscribers(storeFile, o.usersCsv);
  const text = readFileSync(template, 'utf8')
    .replaceAll('{{SIP_PORT}}', String(port))
    .replaceAll('{{MI_PORT}}', String(miPort))
    .replaceAll('{{AUTH}}', String(o.auth))
    .replaceAll('{{USERS_CSV}}', o.usersCsv)
    .replaceAll('{{STORE_URL}}', `sqlite:${storeFile}`)
    .replaceAll('{{ROUTES_DIR}}', join(root, 'bench/configs'));
  const cfg = join(o.dir, `sipcluster-${o.auth ? 'auth' : 'noauth'}.yaml`);
  writeFileSync(cfg, text);
  // BENCH_NODE_ARGS: extra flags for the node's Node.js (e.g. `--cpu-prof --cpu-prof-dir=…`, which
  // NODE_OPTIONS refuses), to profile it under the bench's load.
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin/sipcluster.mjs'), 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child, 'sipcluster');
  try {
    await waitSipReady(port);
  } catch (e) {
    await t.stop();
    throw new Error(`sipcluster did not start with ${cfg}: ${(e as Error).message}\n${t.log().slice(-3000)}`);
  }
  return { name: 'sipcluster', port, pid: child.pid as number, stop: t.stop };
}

/**
 * The bare Node UDP floor (floor-responder.ts): answers every request with a 200 built by copying
 * Via/From/To/Call-ID/CSeq, parsing and storing nothing. Under the REGISTER load it shows what any
 * Node server pays per REGISTER before doing a registrar's work (the "Node's bare UDP I/O
 * alone costs about 1.4× a C proxy's whole request", measured in the same run).
 */
export async function startFloor(root: string, extraArgs: readonly string[] = []): Promise<SipServer> {
  const port = await freePort();
  const child = startTs(join(root, 'bench/support/floor-responder.ts'), [String(port), ...extraArgs]);
  const t = track(child, 'floor');
  try {
    await waitSipReady(port);
  } catch (e) {
    await t.stop();
    throw new Error(`floor responder did not start: ${(e as Error).message}\n${t.log().slice(-3000)}`);
  }
  return { name: 'node floor', port, pid: child.pid as number, stop: t.stop };
}

/** The users CSV for register*.xml: user<i>;pw<i>;[authentication username=user<i> password=pw<i>]. */
export function writeUsersCsv(file: string, users: number): void {
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < users; i++) lines.push(`user${i};pw${i};[authentication username=user${i} password=pw${i}]`);
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** Loads `user;password;…` rows of the SIPp injection file into a SQLite subscriber table (domain 127.0.0.1). */
async function provisionSubscribers(file: string, usersCsv: string): Promise<void> {
  const store = await openStore(`sqlite:${file}`, { baseDir: '/' });
  try {
    const rows = readFileSync(usersCsv, 'utf8').split('\n').filter((l) => l.includes(';') && !l.startsWith('#'));
    await store.db.transaction().execute(async (trx) => {
      const repo = new KyselySubscriberRepo(trx, 'sqlite');
      for (const line of rows) {
        const [user, password] = line.split(';');
        if (user !== undefined && password !== undefined && user !== '') await repo.add(user, '127.0.0.1', password);
      }
    });
  } finally {
    await store.close();
  }
}
