/**
 * bench:ab — two sipcluster nodes under the same SIPp load, measured in alternation, to tell
 * whether a change made the node cheaper. On this VM the same run drifts by 20–60 % within
 * minutes, so two benchmark runs minutes apart cannot resolve a 5 % change; short loads
 * alternating A, B, B, A, … put both sides under the same drift, and the median of the per-pair
 * ratios B/A keeps a noisy pair from deciding. Both nodes run bench:sip's registrar config
 * (bench/configs/sipcluster-registrar.yaml) with their own checkout's code and routes.
 *
 *   git worktree add /tmp/base <rev> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npm run bench:ab -- --a /tmp/base [--b .] [--phase register|register-auth|call]
 *     [--rate 10000] [--seconds 3] [--pairs 8] [--a-args "--node-flag"] [--b-args "…"]
 * Needs SIPp (SIPCLUSTER_SIPP, default /usr/bin/sipp). Prints server CPU per call of each load
 * (utime+stime ÷ successful calls, as bench:sip) and the median B/A.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSipcluster, writeUsersCsv } from './support/sip-servers.ts';
import { runLoad, startCallee, type Phase } from './support/sip-loads.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const rootA = flag('a');
if (rootA === undefined) {
  console.error('usage: npm run bench:ab -- --a <checkout> [--b <checkout>] [--phase register|register-auth|call] [--rate N] [--seconds S] [--pairs N]');
  process.exit(2);
}
const rootB = flag('b') ?? fileURLToPath(new URL('..', import.meta.url));
const phase = (flag('phase') ?? 'register') as Phase;
if (!['register', 'register-auth', 'call'].includes(phase)) throw new Error(`unknown phase ${phase}`);
const rate = Number(flag('rate') ?? (phase === 'call' ? 1000 : phase === 'register-auth' ? 5000 : 10000));
const seconds = Number(flag('seconds') ?? (phase === 'call' ? 4 : 3));
const pairs = Math.max(1, Number(flag('pairs') ?? 8));
const USERS = 10_000;
process.env['SIPCLUSTER_SIPP'] ??= '/usr/bin/sipp';

async function start(root: string, nodeArgs: string, tag: string) {
  const dir = mkdtempSync(join(tmpdir(), `bench-ab-${tag}-`));
  const usersCsv = join(dir, 'users.csv');
  writeUsersCsv(usersCsv, USERS);
  process.env['BENCH_NODE_ARGS'] = nodeArgs;
  const template = join(root, 'bench/configs/sipcluster-registrar.yaml');
  const server = await startSipcluster(template, root, { auth: phase === 'register-auth', users: USERS, usersCsv, dir });
  const callee = phase === 'call' ? await startCallee(server, dir) : undefined;
  const load = { usersCsv, ...(callee === undefined ? {} : { callee }) };
  // Warm-up: the JIT and the location store, as bench:sip does before measuring.
  await runLoad(server, phase, { ...load, rate: phase === 'call' ? 100 : 2000, seconds: phase === 'call' ? 1 : 5 });
  return { server, callee, load };
}

const median = (x: readonly number[]): number => { const s = [...x].sort((p, q) => p - q); return s[Math.floor(s.length / 2)] as number; };

const A = await start(resolve(rootA), flag('a-args') ?? '', 'a');
const B = await start(resolve(rootB), flag('b-args') ?? '', 'b');
const perA: number[] = [];
const perB: number[] = [];
const ratios: number[] = [];
console.log(`bench:ab ${phase} at ${rate}/s, ${pairs} pairs of ${seconds} s loads; A = ${rootA}, B = ${rootB}`);
try {
  for (let k = 0; k < pairs; k++) {
    // A B, then B A: neither side always runs first.
    const order = k % 2 === 0 ? [A, B] : [B, A];
    const got = new Map<typeof A, Awaited<ReturnType<typeof runLoad>>>();
    for (const side of order) got.set(side, await runLoad(side.server, phase, { ...side.load, rate, seconds }));
    const a = got.get(A) as Awaited<ReturnType<typeof runLoad>>;
    const b = got.get(B) as Awaited<ReturnType<typeof runLoad>>;
    perA.push(a.serverUsPerCall);
    perB.push(b.serverUsPerCall);
    ratios.push(b.serverUsPerCall / a.serverUsPerCall);
    console.log(`pair ${k}: A ${a.serverUsPerCall.toFixed(1)} µs (${a.failed} failed)  B ${b.serverUsPerCall.toFixed(1)} µs (${b.failed} failed)  B/A ${(b.serverUsPerCall / a.serverUsPerCall).toFixed(3)}`);
  }
  console.log(`median: A ${median(perA).toFixed(1)} µs, B ${median(perB).toFixed(1)} µs per call; median of B/A ${median(ratios).toFixed(3)}`);
} finally {
  await A.callee?.uas.stop?.();
  await B.callee?.uas.stop?.();
  await A.server.stop();
  await B.server.stop();
}
