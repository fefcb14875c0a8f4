/**
 * bench:busy — what one microsecond of a server's own work costs in CPU time per request, on the
 * machine at hand. The bare Node UDP floor (bench/support/floor-responder.ts) answers SIPp's
 * REGISTER load with `busy=<µs>` of busy-waiting before each answer, for a few amounts of work in
 * alternating rounds, and the table gives the server's CPU per REGISTER split into user and system
 * time (/proc utime and stime, as bench:sip counts them).
 *
 * Why: on the paravirtualised VMs these benches run on, the system time a server is charged grows
 * with its user time although it makes the same system calls (docs/performance.md, session 14):
 * a slope above 1 here means every µs saved in JavaScript saves more than a µs in bench:sip, and
 * that a server's "kernel part" cannot be compared with the floor's as if it were its own.
 *   npm run bench:busy [-- --busy 0,10,20 --rate 10000 --seconds 3 --rounds 3]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFloor, writeUsersCsv, type SipServer } from './support/sip-servers.ts';
import { runLoad, type LoadResult } from './support/sip-loads.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const BUSY = arg('busy', '0,10,20').split(',').map(Number);
const RATE = Number(arg('rate', '10000'));
const SECONDS = Number(arg('seconds', '3'));
const ROUNDS = Math.max(1, Number(arg('rounds', '3')));
if (BUSY.some((b) => !(b >= 0 && b <= 200))) throw new Error('--busy takes µs values 0..200, comma-separated');
process.env['SIPCLUSTER_SIPP'] ??= '/usr/bin/sipp';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-busy-'));
const usersCsv = join(dir, 'users.csv');
writeUsersCsv(usersCsv, 10_000);

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const servers: SipServer[] = [];
try {
  for (const b of BUSY) servers.push(await startFloor(root, b > 0 ? [`busy=${b}`] : []));
  // Warm-up: JIT and SIPp's first seconds, not measured.
  for (const s of servers) await runLoad(s, 'register', { usersCsv, rate: 2000, seconds: 2 });
  const results: LoadResult[][] = BUSY.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < servers.length; i++) {
      const res = await runLoad(servers[i] as SipServer, 'register', { usersCsv, rate: RATE, seconds: SECONDS });
      (results[i] as LoadResult[]).push(res);
      process.stderr.write(`round ${r + 1} busy=${BUSY[i]} µs: ${res.serverUsPerCall.toFixed(1)} µs/REGISTER (sys ${res.serverSysUsPerCall.toFixed(1)}), ok ${res.ok}/${res.calls}\n`);
    }
  }
  const base = median((results[0] as LoadResult[]).map((x) => x.serverUsPerCall));
  console.log(`\nbench:busy — floor responder under REGISTER at ${RATE}/s, ${ROUNDS} alternating rounds of ${SECONDS} s, medians\n`);
  console.log('| busy µs per request | CPU µs per REGISTER | user | system | added CPU ÷ added busy |');
  console.log('|--:|--:|--:|--:|--:|');
  for (let i = 0; i < BUSY.length; i++) {
    const rs = results[i] as LoadResult[];
    const total = median(rs.map((x) => x.serverUsPerCall));
    const sys = median(rs.map((x) => x.serverSysUsPerCall));
    const b = BUSY[i] as number;
    const slope = b === BUSY[0] ? '–' : `${((total - base) / (b - (BUSY[0] as number))).toFixed(2)}`;
    console.log(`| ${b} | ${total.toFixed(1)} | ${(total - sys).toFixed(1)} | ${sys.toFixed(1)} | ${slope} |`);
  }
} finally {
  for (const s of servers) await s.stop();
}
