/**
 * bench:sip — server CPU per SIP request under the same SIPp loads, sipcluster and Kamailio (from
 * Debian's packages) in the same run, then the highest rate each sustains at ≥ 99.9 % success:
 *   REGISTER without auth 10 000/s · REGISTER with digest auth 10 000/s · INVITE→BYE calls through
 *   a Record-Routing proxy to a registered SIPp UAS 1 000/s.
 * Not a test: prints tables. See docs/performance.md.
 *   npm run bench:sip [-- --seconds 5 --users 10000 --sipcluster-config bench/configs/sipcluster-registrar.yaml]
 *   (or SIPCLUSTER_BENCH_CONFIG=<file>; without a config sipcluster's rows say "not available yet")
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeSip } from './support/sip-probe.ts';
import { maxRate, REQUESTS_PER_CALL, runLoad, startCallee, type LoadResult, type Phase } from './support/sip-loads.ts';
import { startKamailio, startSipcluster, writeUsersCsv, type ServerOptions, type SipServer } from './support/sip-servers.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const SECONDS = Number(flag('seconds') ?? 5);
const RAMP_SECONDS = Number(flag('ramp-seconds') ?? 3);
const USERS = Number(flag('users') ?? 10_000);
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

interface Figures { fixed: Partial<Record<Phase, LoadResult>>; max: Partial<Record<Phase, number>>; note?: string }
type Starter = (o: ServerOptions) => Promise<SipServer>;

/** All phases against one server: a fresh process per auth mode, so bindings start empty. */
async function measure(name: string, start: Starter, base: Omit<ServerOptions, 'auth'>): Promise<Figures> {
  const out: Figures = { fixed: {}, max: {} };
  for (const auth of [false, true]) {
    const server = await start({ ...base, auth });
    try {
      if (name === 'sipcluster' && !auth) {
        const code = await probeSip(server.port, 'REGISTER', { user: 'user0', timeoutMs: 2000 });
        if (code === undefined || code === 501) return { ...out, note: `sipcluster: proxy not available yet (REGISTER probe → ${code ?? 'no answer'})` };
      }
      const phases = PHASES.filter((p) => (p === 'register-auth') === auth);
      for (const phase of phases) {
        const callee = phase === 'call' ? await startCallee(server, base.dir) : undefined;
        try {
          const o = { seconds: SECONDS, usersCsv: base.usersCsv, ...(callee === undefined ? {} : { callee }) };
          // Warm-up (JIT, hash tables). The REGISTER phases go once through every user first, so both
          // servers measure with every subscriber looked up (Kamailio's htable is filled at start;
          // sipcluster's credential cache, auth.credentialCacheTtlMs in the template, is filled here).
          const warm = phase === 'call' ? { rate: FIXED[phase] / 10, seconds: 1 } : { rate: FIXED[phase] / 5, seconds: Math.max(1, USERS / (FIXED[phase] / 5)) };
          await runLoad(server, phase, { ...o, ...warm });
          const fixed = await runLoad(server, phase, { ...o, rate: FIXED[phase] });
          out.fixed[phase] = fixed;
          console.log(`  ${name} ${phase} @${FIXED[phase]}/s: ${fixed.ok} ok, ${fixed.failed} failed, ${fixed.serverUsPerCall.toFixed(1)} µs/call${fixed.errors === '' ? '' : `\n    first errors: ${fixed.errors.slice(0, 400)}`}`);
          const m = await maxRate(server, phase, RAMPS[phase], { ...o, seconds: RAMP_SECONDS }, fixed);
          out.max[phase] = m.best;
          console.log(`  ${name} ${phase} ramp: ${m.tried.map((r) => `${r.rate}/s→${((100 * r.ok) / r.calls).toFixed(2)}% at ${Math.round(r.achievedRate)}/s`).join(', ')}`);
          const last = m.tried[m.tried.length - 1];
          if (last !== undefined && last.errors !== '') console.log(`    errors at ${last.rate}/s: ${last.errors.slice(0, 300).replaceAll('\n', ' ')}`);
        } finally {
          if (callee !== undefined) await callee.uas.stop(3000);
        }
      }
    } finally {
      await server.stop();
    }
  }
  return out;
}

function printTable(name: string, f: Figures): void {
  console.log(`\n### ${name}`);
  if (f.note !== undefined) { console.log(f.note); return; }
  console.log('| load | rate | ok | failed | server CPU µs/call | SIP requests/call | server µs/request | SIPp CPU µs/call | max rate ≥99.9 % |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const p of PHASES) {
    const r = f.fixed[p];
    if (r === undefined) continue;
    const top = RAMPS[p][RAMPS[p].length - 1] as number;
    const max = f.max[p] === undefined ? '–' : f.max[p] === top ? `≥ ${top}/s` : f.max[p] === 0 ? `< ${RAMPS[p][0]}/s` : `${f.max[p]}/s`;
    console.log(`| ${LABEL[p]} | ${r.rate}/s | ${r.ok} | ${r.failed} | ${r.serverUsPerCall.toFixed(1)} | ${REQUESTS_PER_CALL[p]} | ${(r.serverUsPerCall / REQUESTS_PER_CALL[p]).toFixed(1)} | ${r.sippUsPerCall.toFixed(1)} | ${max} |`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sip-'));
  const usersCsv = join(dir, 'users.csv');
  writeUsersCsv(usersCsv, USERS);
  const base = { users: USERS, usersCsv, dir };
  console.log(`bench:sip — SIPp over UDP on 127.0.0.1, ${SECONDS} s per fixed load, ${RAMP_SECONDS} s per ramp step, ${USERS} users, ${cpus().length} CPUs, node ${process.version}, work dir ${dir}`);
  const results: Record<string, Figures> = {};
  results['kamailio'] = await measure('kamailio', startKamailio, base);
  if (SIPCLUSTER_CONFIG === undefined) {
    results['sipcluster'] = { fixed: {}, max: {}, note: 'sipcluster: proxy not available yet (no --sipcluster-config / SIPCLUSTER_BENCH_CONFIG given)' };
  } else {
    const template = SIPCLUSTER_CONFIG;
    try {
      results['sipcluster'] = await measure('sipcluster', (o) => startSipcluster(template, root, o), base);
    } catch (e) {
      results['sipcluster'] = { fixed: {}, max: {}, note: `sipcluster: proxy not available yet (${(e as Error).message.split('\n')[0]})` };
    }
  }
  console.log(`\n## bench:sip results (server CPU = utime+stime of all the server's processes ÷ successful calls; SIPp shares the ${cpus().length} cores)`);
  for (const [name, f] of Object.entries(results)) printTable(name, f);
  const k = results['kamailio'];
  const s = results['sipcluster'];
  console.log('\n### ratio sipcluster ÷ kamailio (server CPU per call at the same rate; lower is better)');
  for (const p of PHASES) {
    const a = s?.fixed[p];
    const b = k?.fixed[p];
    console.log(`- ${LABEL[p]} @${FIXED[p]}/s: ${a !== undefined && b !== undefined ? `${(a.serverUsPerCall / b.serverUsPerCall).toFixed(2)}×` : 'n/a (sipcluster proxy not available yet)'}`);
  }
}

await main();
