/**
 * bench:sip — server CPU per SIP request under the same SIPp loads, sipcluster and Kamailio (from
 * Debian's packages) in the same run, then the highest rate each sustains at ≥ 99.9 % success:
 *   REGISTER without auth 10 000/s · REGISTER with digest auth 10 000/s · INVITE→BYE calls through
 *   a Record-Routing proxy to a registered SIPp UAS 1 000/s.
 * The REGISTER load also runs against the bare Node UDP floor (bench/support/floor-responder.ts,
 * as bench:options uses): what Node's I/O alone costs per REGISTER, against Kamailio's whole request;
 * once through node:dgram ("node floor") and once through the node's native UDP engine ("native
 * floor", the one sipcluster uses when it is built: src/sip/transport/native-udp.ts).
 * The servers run side by side and the fixed loads alternate between them in rounds (Kamailio,
 * floor, sipcluster, Kamailio, …): this VM's CPU time per request drifts by tens of percent from one
 * minute to the next, so each round's ratio compares two runs a few seconds apart, and the summary
 * gives the median ratio with its interquartile range over many short rounds (7 × 3 s by default).
 * Not a test: prints tables. See docs/performance.md.
 * --pin (needs 2+ CPUs and taskset): the servers (every process and thread) run on CPU 0, this
 * script and SIPp on the others, so that neither side preempts the other on a shared core
 * (docs/performance.md, session 18: unpinned, a heavier server is preempted more often by the SIPp
 * it wakes). The default leaves placement to the scheduler, as every run before session 18 did.
 *   npm run bench:sip [-- --seconds 3 --rounds 7 --users 10000 --pin --sipcluster-config bench/configs/sipcluster-registrar.yaml]
 *   (or SIPCLUSTER_BENCH_CONFIG=<file>; without a config sipcluster's rows say "not available yet")
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeSip } from './support/sip-probe.ts';
import { pinTree, ratioSummary } from './support/proc.ts';
import { maxRate, REQUESTS_PER_CALL, runLoad, startCallee, type Callee, type LoadResult, type Phase } from './support/sip-loads.ts';
import { startFloor, startKamailio, startSipcluster, writeUsersCsv, type ServerOptions, type SipServer } from './support/sip-servers.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const SECONDS = Number(flag('seconds') ?? 3);
const RAMP_SECONDS = Number(flag('ramp-seconds') ?? 3);
const ROUNDS = Math.max(1, Number(flag('rounds') ?? 7));
const USERS = Number(flag('users') ?? 10_000);
const PIN = argv.includes('--pin');
if (PIN && cpus().length < 2) throw new Error('--pin needs at least 2 CPUs (servers on CPU 0, SIPp on the others)');
const SIPCLUSTER_CONFIG = flag('sipcluster-config') ?? process.env.SIPCLUSTER_BENCH_CONFIG ?? fileURLToPath(new URL('./configs/sipcluster-registrar.yaml', import.meta.url));
const FIXED: Record<Phase, number> = {
  'register': Number(flag('register-rate') ?? 10_000), 'register-auth': Number(flag('auth-rate') ?? 10_000), 'call': Number(flag('call-rate') ?? 1_000),
};
const RAMPS: Record<Phase, number[]> = {
  'register': [10_000, 15_000, 20_000, 25_000, 30_000, 40_000],
  'register-auth': [2_000, 4_000, 6_000, 8_000, 10_000, 15_000],
  'call': [250, 500, 1_000, 1_500, 2_000, 3_000],
};
const PHASES: Phase[] = ['register', 'register-auth', 'call'];
const LABEL: Record<Phase, string> = { 'register': 'REGISTER, no auth', 'register-auth': 'REGISTER + digest (401 round)', 'call': 'call INVITE→ACK→BYE via RR' };
process.env.SIPCLUSTER_SIPP ??= '/usr/bin/sipp';
const root = fileURLToPath(new URL('..', import.meta.url));

/** One server's figures: every fixed-rate round, and the highest sustained rate per phase. */
interface Figures { rounds: Partial<Record<Phase, LoadResult[]>>; max: Partial<Record<Phase, number>>; note?: string }
type Starter = (o: ServerOptions) => Promise<SipServer>;
/** `phases`: the loads it can take (the Node floor answers 200 to anything: REGISTER without auth only). */
interface Contender { name: string; start: Starter; figures: Figures; phases?: readonly Phase[] }
const serves = (c: Contender, p: Phase): boolean => c.phases === undefined || c.phases.includes(p);

const median = (xs: readonly number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor(s.length / 2)] as number);
};

/**
 * CPU the server used during the load, in cores. Near one core a single event loop is full: requests
 * queue, SIPp retransmits, and CPU per call then measures the overload as much as the work.
 */
const coresOf = (r: LoadResult): number => (r.serverUsPerCall * r.achievedRate) / 1e6;
const SATURATED_CORES = 0.9;

/** The round whose CPU per call is the median one (its other columns stay consistent with it). */
function medianRound(rs: readonly LoadResult[]): LoadResult | undefined {
  // A round without a successful call has no CPU per call (NaN): not a candidate.
  const s = rs.filter((r) => Number.isFinite(r.serverUsPerCall)).sort((a, b) => a.serverUsPerCall - b.serverUsPerCall);
  return s[Math.floor(s.length / 2)];
}

/** Starts a contender for one auth mode; undefined (with a note) when its proxy cannot take the load. */
async function startOne(c: Contender, base: Omit<ServerOptions, 'auth'>, auth: boolean): Promise<SipServer | undefined> {
  let server: SipServer;
  try {
    server = await c.start({ ...base, auth });
    if (PIN) pinTree(server.pid, '0');
  } catch (e) {
    c.figures.note = `${c.name}: proxy not available yet (${(e as Error).message.split('\n')[0]})`;
    return undefined;
  }
  if (c.name === 'sipcluster' && !auth) {
    const code = await probeSip(server.port, 'REGISTER', { user: 'user0', timeoutMs: 2000 });
    if (code === undefined || code === 501) {
      c.figures.note = `sipcluster: proxy not available yet (REGISTER probe → ${code ?? 'no answer'})`;
      await server.stop();
      return undefined;
    }
  }
  return server;
}

/**
 * The phases of one auth mode against every contender: a fresh process each (bindings start empty),
 * all running at once; the fixed loads alternate between them, then each ramps to its maximum.
 */
async function measureMode(contenders: readonly Contender[], base: Omit<ServerOptions, 'auth'>, auth: boolean): Promise<void> {
  const running: Array<{ c: Contender; server: SipServer }> = [];
  const modePhases = PHASES.filter((p) => (p === 'register-auth') === auth);
  try {
    for (const c of contenders) {
      if (c.figures.note !== undefined || !modePhases.some((p) => serves(c, p))) continue;
      const server = await startOne(c, base, auth);
      if (server !== undefined) running.push({ c, server });
    }
    for (const phase of modePhases) {
      const callees = new Map<string, Callee>();
      const serving = running.filter(({ c }) => serves(c, phase));
      try {
        const opts = (name: string) => { const callee = callees.get(name); return { seconds: SECONDS, usersCsv: base.usersCsv, ...(callee === undefined ? {} : { callee }) }; };
        for (const { c, server } of serving) {
          if (phase === 'call') callees.set(c.name, await startCallee(server, base.dir));
          // Warm-up (JIT, hash tables). The REGISTER phases go once through every user first, so both
          // servers measure with every subscriber looked up (Kamailio's htable is filled at start;
          // sipcluster's credential cache, auth.credentialCacheTtlMs in the template, is filled here).
          const warm = phase === 'call' ? { rate: FIXED[phase] / 10, seconds: 1 } : { rate: FIXED[phase] / 5, seconds: Math.max(1, USERS / (FIXED[phase] / 5)) };
          await runLoad(server, phase, { ...opts(c.name), ...warm });
        }
        for (let k = 0; k < ROUNDS; k++) {
          for (const { c, server } of serving) {
            const r = await runLoad(server, phase, { ...opts(c.name), rate: FIXED[phase] });
            (c.figures.rounds[phase] ??= []).push(r);
            console.log(`  round ${k + 1} ${c.name} ${phase} @${FIXED[phase]}/s: ${r.ok} ok, ${r.failed} failed, ${r.serverUsPerCall.toFixed(1)} µs/call (kernel ${r.serverSysUsPerCall.toFixed(1)}), ${coresOf(r).toFixed(2)} cores${coresOf(r) >= SATURATED_CORES ? ' — saturated' : ''}${r.errors === '' ? '' : `\n    first errors: ${r.errors.slice(0, 400)}`}`);
          }
        }
        for (const { c, server } of serving) {
          const last = c.figures.rounds[phase]?.at(-1);
          const m = await maxRate(server, phase, RAMPS[phase], { ...opts(c.name), seconds: RAMP_SECONDS }, last);
          c.figures.max[phase] = m.best;
          console.log(`  ${c.name} ${phase} ramp: ${m.tried.map((r) => `${r.rate}/s→${((100 * r.ok) / r.calls).toFixed(2)}% at ${Math.round(r.achievedRate)}/s`).join(', ')}`);
          const top = m.tried[m.tried.length - 1];
          if (top !== undefined && top.errors !== '') console.log(`    errors at ${top.rate}/s: ${top.errors.slice(0, 300).replaceAll('\n', ' ')}`);
        }
      } finally {
        for (const callee of callees.values()) await callee.uas.stop(3000);
      }
    }
  } finally {
    for (const { server } of running) await server.stop();
  }
}

function printTable(name: string, f: Figures): void {
  console.log(`\n### ${name}`);
  if (f.note !== undefined) { console.log(f.note); return; }
  console.log(`| load | rate | ok | failed | server CPU µs/call (median of ${ROUNDS}) | of which kernel | SIP requests/call | server µs/request | server cores | SIPp CPU µs/call | max rate ≥99.9 % |`);
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const p of PHASES) {
    const r = medianRound(f.rounds[p] ?? []);
    if (r === undefined) continue;
    const top = RAMPS[p][RAMPS[p].length - 1] as number;
    const max = f.max[p] === undefined ? '–' : f.max[p] === top ? `≥ ${top}/s` : f.max[p] === 0 ? `< ${RAMPS[p][0]}/s` : `${f.max[p]}/s`;
    console.log(`| ${LABEL[p]} | ${r.rate}/s | ${r.ok} | ${r.failed} | ${r.serverUsPerCall.toFixed(1)} | ${r.serverSysUsPerCall.toFixed(1)} | ${REQUESTS_PER_CALL[p]} | ${(r.serverUsPerCall / REQUESTS_PER_CALL[p]).toFixed(1)} | ${coresOf(r).toFixed(2)}${coresOf(r) >= SATURATED_CORES ? ' (saturated)' : ''} | ${r.sippUsPerCall.toFixed(1)} | ${max} |`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sip-'));
  const usersCsv = join(dir, 'users.csv');
  writeUsersCsv(usersCsv, USERS);
  const base = { users: USERS, usersCsv, dir };
  // SIPp (and the callee UAS) are this process's children: they inherit its CPUs.
  if (PIN) pinTree(process.pid, `1-${cpus().length - 1}`);
  console.log(`bench:sip — SIPp over UDP on 127.0.0.1, ${SECONDS} s per fixed load × ${ROUNDS} alternating rounds, ${RAMP_SECONDS} s per ramp step, ${USERS} users, ${cpus().length} CPUs${PIN ? ' (--pin: servers on CPU 0, SIPp on the others)' : ''}, node ${process.version}, work dir ${dir}`);
  const kamailio: Contender = { name: 'kamailio', start: startKamailio, figures: { rounds: {}, max: {} } };
  const sipcluster: Contender = { name: 'sipcluster', start: (o) => startSipcluster(SIPCLUSTER_CONFIG, root, o), figures: { rounds: {}, max: {} } };
  const floor: Contender = { name: 'node floor', start: () => startFloor(root), figures: { rounds: {}, max: {} }, phases: ['register'] };
  // The same responder on the node's native UDP engine (sip.udpEngine auto uses it when built).
  const nativeFloor: Contender = { name: 'native floor', start: () => startFloor(root, ['native']), figures: { rounds: {}, max: {} }, phases: ['register'] };
  for (const auth of [false, true]) await measureMode([kamailio, floor, nativeFloor, sipcluster], base, auth);
  console.log(`\n## bench:sip results (server CPU = utime+stime of all the server's processes ÷ successful calls, "kernel" its stime part; SIPp shares the ${cpus().length} cores)`);
  for (const c of [kamailio, floor, nativeFloor, sipcluster]) printTable(c.name, c.figures);
  console.log('\n### ratio sipcluster ÷ kamailio (server CPU per call at the same rate, each round against the Kamailio run just before it; lower is better)');
  for (const p of PHASES) {
    const ours = sipcluster.figures.rounds[p] ?? [];
    const theirs = kamailio.figures.rounds[p] ?? [];
    const ratios = ours.flatMap((r, k) => { const t = theirs[k]; return t === undefined ? [] : [r.serverUsPerCall / t.serverUsPerCall]; });
    console.log(`- ${LABEL[p]} @${FIXED[p]}/s: ${ratios.length === 0 ? 'n/a (sipcluster proxy not available yet)' : `median ${ratioSummary(ratios)}; rounds: ${ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}`}`);
  }
  printFloorShare(kamailio, floor, sipcluster);
  printFloorShare(kamailio, nativeFloor, sipcluster);
}

/**
 * Where the REGISTER goes, per round: the Node floor ÷ Kamailio (what Node's UDP I/O alone costs
 * against a C registrar's whole request), and sipcluster − floor (the registrar's JavaScript work
 * above that I/O) next to what a 2× target leaves for it (2 × Kamailio − floor).
 */
function printFloorShare(kamailio: Contender, floor: Contender, sipcluster: Contender): void {
  const kam = kamailio.figures.rounds.register ?? [];
  const fl = floor.figures.rounds.register ?? [];
  const ours = sipcluster.figures.rounds.register ?? [];
  const rows = fl.flatMap((f, k) => { const t = kam[k]; return t === undefined ? [] : [{ f: f.serverUsPerCall, t: t.serverUsPerCall, o: ours[k]?.serverUsPerCall }]; });
  if (rows.length === 0) { console.log(`\n### ${floor.name} on REGISTER: n/a${floor.figures.note === undefined ? '' : ` (${floor.figures.note})`}`); return; }
  console.log(`\n### REGISTER against the bare ${floor.name} (bench/support/floor-responder.ts), µs per REGISTER @${FIXED.register}/s`);
  console.log(`| round | kamailio | ${floor.name} | floor ÷ kamailio | sipcluster | sipcluster − floor | 2 × kamailio − floor |`);
  console.log('|--:|--:|--:|--:|--:|--:|--:|');
  rows.forEach((r, k) => console.log(`| ${k + 1} | ${r.t.toFixed(1)} | ${r.f.toFixed(1)} | ${(r.f / r.t).toFixed(2)}× | ${r.o?.toFixed(1) ?? '–'} | ${r.o === undefined ? '–' : (r.o - r.f).toFixed(1)} | ${(2 * r.t - r.f).toFixed(1)} |`));
  const withOurs = rows.filter((r) => r.o !== undefined);
  console.log(`median floor ÷ kamailio ${ratioSummary(rows.map((r) => r.f / r.t))}; median sipcluster − floor ${withOurs.length === 0 ? 'n/a' : `${median(withOurs.map((r) => (r.o as number) - r.f)).toFixed(1)} µs`}; median room a 2× target leaves above the floor ${median(rows.map((r) => 2 * r.t - r.f)).toFixed(1)} µs`);
}

await main();
