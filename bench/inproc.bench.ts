/**
 * bench:inproc — the node's own CPU per REGISTER and per digest pair (401 round + REGISTER), in
 * process: a NodeRuntime started from bench:sip's registrar template (the same routes module and
 * registrar/auth settings), REGISTERs written as SIPp's register.xml / register-auth.xml send them
 * handed to SipCore.receive in turns of 8, replies taken at the transport. No sockets and no SIPp:
 * what is left is parsing, the transaction layer, the routing script, the registrar, the digest
 * check and building the reply — the part of bench:sip's figure above its I/O floor.
 *
 *   npm run bench:inproc [-- --auth] [--requests 20000] [--rounds 9] [--profile out.cpuprofile]
 *
 * Prints CPU (user+system of this process) per REGISTER or per digest pair: median and minimum of
 * the rounds. On the VMs these benches run on, runs of the same code agree within a few per cent
 * on the minimum, where bench:ab's socket-level pairs scatter by ±10–15 %: use it to tell whether a
 * change to that path helps, then bench:ab / bench:sip for what a client sees. 10 000 users (as
 * bench:sip), each registered twice before measuring (JIT, credential cache, bindings in place).
 * For digest pairs the challenges are fetched before each round (not measured), and each round's
 * REGISTERs answer them; a round holds fewer pairs than the node's table of recent nonces (8 192).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { NodeRuntime } from '../src/app/node-runtime.ts';
import { loadConfigFile } from '../src/app/config/load-config.ts';
import { openStore } from '../src/store/open-store.ts';
import { KyselySubscriberRepo } from '../src/store/subscriber-repo.ts';
import type { SipTransport } from '../src/sip/transport/sip-transport.ts';
import { freePort } from '../test/support/ports.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const auth = argv.includes('--auth');
const requests = Number(flag('requests') ?? (auth ? 5000 : 20000));
const rounds = Math.max(1, Number(flag('rounds') ?? 9));
const profileFile = flag('profile');
const USERS = 10_000;
const RECENT_NONCES = 8192;
if (!(requests > 0) || (auth && requests > RECENT_NONCES)) throw new Error(`--requests must be 1..${auth ? RECENT_NONCES : 'any'}`);

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-inproc-'));
const storeFile = join(dir, 'subscribers.sqlite');
const store = await openStore(`sqlite:${storeFile}`, { baseDir: '/' });
await store.db.transaction().execute(async (trx) => {
  const repo = new KyselySubscriberRepo(trx, 'sqlite');
  for (let i = 0; i < USERS; i++) await repo.add(`user${i}`, '127.0.0.1', `pw${i}`);
});
await store.close();
// The node binds its listener, but nothing is sent to it: requests go straight to SipCore.
const SIP_PORT = await freePort();
const text = readFileSync(join(root, 'bench/configs/sipcluster-registrar.yaml'), 'utf8')
  .replaceAll('{{SIP_PORT}}', String(SIP_PORT)).replaceAll('{{MI_PORT}}', '0')
  .replaceAll('{{AUTH}}', String(auth)).replaceAll('{{USERS_CSV}}', '/dev/null')
  .replaceAll('{{STORE_URL}}', `sqlite:${storeFile}`).replaceAll('{{ROUTES_DIR}}', join(root, 'bench/configs'));
const cfg = join(dir, 'node.yaml');
writeFileSync(cfg, text);
const rt = await NodeRuntime.start(loadConfigFile(cfg));
const sip = rt.sip;
if (sip === undefined) throw new Error('the node started without SIP');

// Replies stop at the transport: counted, and kept while challenges are being fetched.
let sent = 0;
let captured: Buffer[] | undefined;
(sip.transport as { send: SipTransport['send'] }).send = (_target, data) => {
  sent++;
  captured?.push(data);
  return 'sent';
};

const src = { proto: 'udp' as const, remoteAddress: '127.0.0.1', remotePort: 5061, localAddress: '127.0.0.1', localPort: SIP_PORT };
let seq = 0;
/** A REGISTER as register.xml / register-auth.xml write it (SIPp's branch, tag and Call-ID forms). */
function register(i: number, authorization?: string): Buffer {
  const user = `user${i % USERS}`;
  const n = seq++;
  return Buffer.from(
    `REGISTER sip:127.0.0.1:${SIP_PORT} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4242-${n}-0\r\n` +
    `From: <sip:${user}@127.0.0.1:${SIP_PORT}>;tag=4242SIPpTag00${n}\r\n` +
    `To: <sip:${user}@127.0.0.1:${SIP_PORT}>\r\n` +
    `Call-ID: ${n}-4242@127.0.0.1\r\n` +
    `CSeq: ${authorization === undefined ? 1 : 2} REGISTER\r\n` +
    'Max-Forwards: 70\r\n' +
    `Contact: <sip:${user}@127.0.0.1:5061;transport=UDP>\r\n` +
    'Expires: 3600\r\n' +
    (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
    `User-Agent: SIPp register${auth ? '-auth' : ''}.xml\r\n` +
    'Content-Length: 0\r\n\r\n', 'latin1');
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
/** SIPp's answer to a challenge: MD5, qop=auth, nc=00000001 (RFC 2617 §3.2.2). */
function answer(i: number, challenge: string): string {
  const user = `user${i % USERS}`;
  const realm = /realm="([^"]*)"/.exec(challenge)?.[1];
  const nonce = /nonce="([^"]*)"/.exec(challenge)?.[1];
  if (realm === undefined || nonce === undefined) throw new Error(`not a digest challenge: ${challenge}`);
  const uri = `sip:127.0.0.1:${SIP_PORT}`;
  const cnonce = `c${i}`;
  const response = md5(`${md5(`${user}:${realm}:pw${i % USERS}`)}:${nonce}:00000001:${cnonce}:auth:${md5(`REGISTER:${uri}`)}`);
  return `Digest username="${user}",realm="${realm}",uri="${uri}",nonce="${nonce}",response="${response}",algorithm=MD5,cnonce="${cnonce}",qop=auth,nc=00000001`;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Hands the messages to the node 8 per event-loop turn (a recvmmsg batch at these rates is smaller). */
async function feed(msgs: readonly Buffer[]): Promise<void> {
  for (let k = 0; k < msgs.length; k++) {
    sip?.core.receive(msgs[k] as Buffer, src);
    if ((k & 7) === 7) await turn();
  }
  await turn();
}

/** The requests of one round: REGISTERs, or for digest pairs a fresh REGISTER and the answer to a challenge fetched now. */
async function prepare(n: number): Promise<Buffer[]> {
  const first: Buffer[] = [];
  for (let i = 0; i < n; i++) first.push(register(i));
  if (!auth) return first;
  captured = [];
  await feed(first);
  const challenges = captured.map((b) => /\r\nWWW-Authenticate: ([^\r]*)/.exec(b.toString('latin1'))?.[1]);
  captured = undefined;
  if (challenges.length !== n || challenges.some((c) => c === undefined)) throw new Error(`expected ${n} challenges, got ${challenges.length}`);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(register(i), register(i, answer(i, challenges[i] as string)));
  return out;
}

const session = new Session();
try {
  for (let pass = 0; pass < 2; pass++) {
    for (let from = 0; from < USERS; from += RECENT_NONCES / 2) await feed(await prepare(Math.min(RECENT_NONCES / 2, USERS - from)));
  }
  if (profileFile !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const perRequest: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const msgs = await prepare(requests);
    const before = sent;
    const c0 = process.cpuUsage();
    await feed(msgs);
    const c = process.cpuUsage(c0);
    if (sent - before !== msgs.length) throw new Error(`round ${r}: ${sent - before} replies to ${msgs.length} requests`);
    perRequest.push((c.user + c.system) / requests);
  }
  if (profileFile !== undefined) {
    // The profile also holds each round's challenge fetching (not in the figures): filter on `prepare`.
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
  }
  const sorted = [...perRequest].sort((a, b) => a - b);
  const what = auth ? 'digest pair (401 round + REGISTER)' : 'REGISTER';
  console.log(`bench:inproc ${what}: ${rounds} rounds of ${requests}; CPU per ${auth ? 'pair' : 'REGISTER'} median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(2)} µs, min ${(sorted[0] as number).toFixed(2)} µs`);
} finally {
  session.disconnect();
  await rt.stop('bench done');
  rmSync(dir, { recursive: true, force: true });
}
