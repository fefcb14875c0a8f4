/**
 * Location service micro-benchmark (DESIGN.md §8): heap per contact with a million contacts,
 * insert and lookup cost, and one expiry pass when 1% of the contacts are due.
 * Run: npx tsx --expose-gc bench/location.bench.ts [contacts]
 * Bench scripts may use the real clock: only src/ pure folders may not.
 */
import { performance } from 'node:perf_hooks';
import { FakeClock } from '../src/lib/fake-time.ts';
import { MemoryLocationStore } from '../src/sip/registrar/memory-location-store.ts';
import type { BindingFields } from '../src/sip/registrar/binding.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with --expose-gc (npx tsx --expose-gc bench/location.bench.ts) to measure heap');
  process.exit(1);
}

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const clock = new FakeClock();
const nowSec = Math.floor(clock.wallMs() / 1000);
// Realistic strings: distinct AoR, contact URI and Call-ID per contact; a handful of user agents.
const agents = ['Linphone/5.2.0 (belle-sip/5.2.0)', 'Zoiper rv2.10.19.5', 'PolycomVVX-VVX_450-UA/6.4.3', 'Grandstream GXP2170 1.0.11.23', 'MicroSIP/3.21.3'];
function fieldsFor(i: number): BindingFields {
  return {
    contact: flat(`sip:user${i}@10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${5060 + (i % 1000)};transport=udp`),
    // 1% expire in the first second; the rest are spread over the next hour.
    expiresSec: nowSec + (i % 100 === 0 ? 1 : 60 + (i % 3600)),
    callId: flat(`${(i * 2654435761 >>> 0).toString(16)}-${i}@192.0.2.${i & 255}`),
    cseq: i & 0xffff,
    userAgent: agents[i % agents.length] as string,
    socket: 'udp:203.0.113.10:5060',
    ...(i % 3 === 0 ? { received: flat(`sip:198.51.100.${i & 255}:${1024 + (i % 60000)}`) } : {}),
  };
}
const aorOf = (i: number): string => flat(`user${i}@example.com`);
/** A flat sequential string, as a parser's Buffer#toString gives (template literals make cons-string trees). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

// Build inputs first so the heap delta measures only the store (AoR strings are the store's keys, counted in).
const before = heapUsed();
const store = new MemoryLocationStore({ clock });
let t = performance.now();
for (let i = 0; i < N; i++) store.insert(aorOf(i), fieldsFor(i));
const fillMs = performance.now() - t;
const after = heapUsed();
const bytesPerContact = (after - before) / N;

// Insert cost at this size, with inputs built beforehand (the fill above also paid for building strings).
const M = Math.max(1, Math.floor(N / 10));
const extra = Array.from({ length: M }, (_, k) => ({ aor: aorOf(N + k), fields: fieldsFor(N + k) }));
t = performance.now();
for (let k = 0; k < M; k++) { const e = extra[k] as (typeof extra)[number]; store.insert(e.aor, e.fields); }
const insertNs = ((performance.now() - t) * 1e6) / M;
extra.length = 0;

// Lookups: a pre-built key array so the loop measures the store, not string building.
const keys = Array.from({ length: Math.min(N, 200_000) }, (_, k) => aorOf((k * 7919) % N));
let found = 0;
t = performance.now();
const rounds = 5;
for (let r = 0; r < rounds; r++) for (let k = 0; k < keys.length; k++) found += store.lookup(keys[k] as string).length;
const lookupNs = ((performance.now() - t) * 1e6) / (keys.length * rounds);
// Peer in the same run: a bare Map<string, object[]> with the same keys, the floor for an O(1) lookup here.
const bare = new Map<string, unknown[]>();
for (let i = 0; i < N; i++) bare.set(aorOf(i), [i]);
t = performance.now();
for (let r = 0; r < rounds; r++) for (let k = 0; k < keys.length; k++) found += (bare.get(keys[k] as string) as unknown[]).length;
const bareNs = ((performance.now() - t) * 1e6) / (keys.length * rounds);
bare.clear();

clock.advance(1_000);
t = performance.now();
const expired = store.expire();
const expireMs = performance.now() - t;
clock.advance(1_000);
t = performance.now();
const expired2 = store.expire();
const idleExpireMs = performance.now() - t;

console.log(`location bench: ${N.toLocaleString('en')} contacts (one per AoR), node ${process.version}`);
console.log(`heap per contact     ${bytesPerContact.toFixed(0)} bytes  (total ${((after - before) / 1048576).toFixed(1)} MiB; target <= 1024)`);
console.log(`fill ${N} (build+insert) ${(fillMs / 1000).toFixed(1)} s`);
console.log(`insert               ${insertNs.toFixed(0)} ns/op  (${M} more, inputs prebuilt)`);
console.log(`lookup (hit)         ${lookupNs.toFixed(0)} ns/op  (bare Map.get on the same keys: ${bareNs.toFixed(0)} ns/op)`);
console.log(`expiry pass, 1% due  ${expireMs.toFixed(1)} ms  (${expired} expired, ${((expireMs * 1e6) / Math.max(1, expired)).toFixed(0)} ns/contact)`);
console.log(`expiry pass, idle    ${idleExpireMs.toFixed(3)} ms  (${expired2} expired)`);
if (found === 0) console.log("no binding found: the lookup loop measured nothing");
