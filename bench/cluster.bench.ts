/**
 * The cluster driver on real loopback sockets.
 *  1. throughput: generic messages/s node 2 → node 3 through ClusterRunner + BinTransport
 *     (in-process runners, one Node process, real TCP sockets; the sender is paced so the
 *     driver's queue bound is never hit);
 *  2. PING → PONG round trip under that load: a fake node 9 (a raw socket in this script) pings
 *     node 3 every ms; node 3 answers with a PONG on its own connection to node 9's URL.
 *     Measured twice: (a) in-process, node 3 shares this script's event loop with nodes 1 and 2
 *     and with the pinger, so every PONG waits behind the sender's work too; (b) out-of-process,
 *     node 3 is a real `sipcluster start` process, the load (node 2, bench/cluster-load-peer.ts)
 *     is a third process sending at the rate (a) reached, and this script only pings: the figure
 *     a peer on another host would see;
 *  3. detection: 3 real `sipcluster start` processes (examples/cluster, free ports), SIGKILL of
 *     node 3, time until nodes 1 and 2 both list it "Down" (MI polled every 10 ms).
 * Run: npx tsx bench/cluster.bench.ts   (package.json: "bench:cluster")
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { realClock, realTimers } from '../src/lib/real-time.ts';
import { nullCounters } from '../src/lib/counter.ts';
import { nodeId } from '../src/lib/ids.ts';
import { encodeBinMessage, StreamReassembler, decodeBinPacket } from '../src/cluster/wire/index.ts';
import { ClusterNode } from '../src/cluster/node.ts';
import { ClusterRunner } from '../src/cluster/net/cluster-runner.ts';
import { FAST_HEARTBEAT } from '../src/cluster/membership/heartbeat-params.ts';
import { freePort } from '../test/support/ports.ts';
import { repoRoot, tempDir, waitFor, writeConfig } from '../test/support/node-process.ts';
import { exampleConfigs, listNodes, Procs } from '../test/integration/cluster-support.ts';

const LOAD_MS = 3000;
const url = (port: number): string => `bin:127.0.0.1:${port}`;
const desc = (port: number) => ({ url: url(port), sipAddr: '', priority: 50, noPingRetries: 1 });

async function inProcess(): Promise<{ msgsPerS: number; rtt: number[] }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const fakePort = await freePort();
  const runners = [1, 2, 3].map((i) => {
    const others = [1, 2, 3].filter((j) => j !== i).map((j) => ({ id: nodeId(j), description: desc(ports[j - 1] as number) }));
    if (i === 3) others.push({ id: nodeId(9), description: desc(fakePort) });
    const node = new ClusterNode({ clusterId: 1, selfId: nodeId(i), self: desc(ports[i - 1] as number), heartbeat: FAST_HEARTBEAT, nodes: others }, realClock, nullCounters);
    return new ClusterRunner({
      node, clock: realClock, timers: realTimers, counters: nullCounters,
      transport: { listen: { tls: false, host: '127.0.0.1', port: ports[i - 1] as number }, allowNetworks: [], maxQueuedBytes: 64 << 20, reconnectMinMs: 100, reconnectMaxMs: 1000, connectTimeoutMs: 1000 },
    });
  });
  const fake = await fakeNode9(fakePort);
  for (const r of runners) await r.start();
  const [r1, r2, r3] = runners as [ClusterRunner, ClusterRunner, ClusterRunner];
  await waitFor('in-process mesh', () => (r1.node.topology.isReachable(nodeId(3)) && r2.node.topology.isReachable(nodeId(3)) && r2.node.linkState(nodeId(3)) === 'up' ? true : undefined), 10_000);

  let received = 0;
  r3.on((e) => { if (e.kind === 'message') received++; });
  const toNode3 = await new Promise<Socket>((resolve) => { const s = connect(ports[2] as number, '127.0.0.1', () => resolve(s)); });
  toNode3.setNoDelay(true);
  const payload = Buffer.from('x'.repeat(64));
  let sent = 0;
  const start = performance.now();
  fake.measuring = true;
  const pinger = setInterval(() => fake.ping(toNode3), 1);
  await new Promise<void>((done) => {
    const pump = (): void => {
      if (performance.now() - start > LOAD_MS) return done();
      // keep at most ~2000 messages in flight so the bench measures the driver, not a queue
      for (let i = 0; i < 200 && sent - received < 2000; i++) {
        r2.sendRouted({ kind: 'generic-msg', clusterId: 1, sourceNodeId: 2, destinationNodeId: 3, isRequest: true, tag: 'b', payload });
        sent++;
      }
      setImmediate(pump);
    };
    pump();
  });
  const elapsedS = (performance.now() - start) / 1000;
  clearInterval(pinger);
  fake.measuring = false;
  toNode3.destroy();
  for (const r of runners) await r.stop();
  await new Promise<void>((r) => fake.server.close(() => r()));
  return { msgsPerS: received / elapsedS, rtt: fake.rtt };
}

const PING = encodeBinMessage({ kind: 'ping', clusterId: 1, sourceNodeId: 9, requestNodeList: false });

/** Node 9: receives node 3's PONGs on its listener; PINGs go out on a connection of its own. */
async function fakeNode9(port: number): Promise<{ server: Server; rtt: number[]; measuring: boolean; pings: number; ping(to: Socket): void }> {
  const sentAt: number[] = [];
  const f = {
    server: undefined as unknown as Server,
    rtt: [] as number[],
    measuring: false,
    pings: 0,
    ping(to: Socket): void { sentAt.push(performance.now()); if (f.measuring) f.pings++; to.write(PING); },
  };
  f.server = createServer((s: Socket) => {
    const r = new StreamReassembler();
    s.on('data', (chunk: Buffer) => {
      for (const p of r.feed(chunk).packets) {
        const m = decodeBinPacket(p);
        if (m.ok && m.value.kind === 'pong') {
          const t = sentAt.shift();
          if (t !== undefined && f.measuring) f.rtt.push(performance.now() - t);
        }
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => f.server.listen(port, '127.0.0.1', () => r()));
  return f;
}

/** (b): node 3 a real process, the load a second process, only the pinger here. */
async function outOfProcess(msgsPerS: number): Promise<{ rtt: number[]; pings: number; sent: number; failed: number }> {
  const [p3, p2, p9, miPort, sipPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const file = writeConfig(tempDir('sipcluster-bench-'), 'node3.yaml', `node: { name: bench-node3, logLevel: warn }
mi: { host: 127.0.0.1, port: ${miPort} }
sip:
  listen: [{ proto: udp, host: 127.0.0.1, port: ${sipPort} }]
cluster:
  nodeId: 3
  clusterId: 1
  listen: ${url(p3)}
  neighbors:
    - { nodeId: 2, url: "${url(p2)}" }
    - { nodeId: 9, url: "${url(p9)}" }
`);
  const fake = await fakeNode9(p9);
  const procs = new Procs();
  const load = { out: '', exited: false };
  let loadPid: number | undefined;
  try {
    procs.start(file);
    await waitFor('node 3 process answering its MI', async () => ((await listNodes(`http://127.0.0.1:${miPort}/mi`)).length === 2 ? true : undefined), 30_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cluster-load-peer.ts', String(p2), String(p3), String(Math.round(msgsPerS)), String(LOAD_MS)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    loadPid = child.pid;
    child.stdout.on('data', (d: Buffer) => { load.out += d.toString(); });
    child.once('exit', () => { load.exited = true; });
    await waitFor('the load process linked to node 3', () => (load.out.includes('ready') ? true : load.exited ? Promise.reject(new Error('load process exited')) : undefined), 30_000, 10);
    const toNode3 = await new Promise<Socket>((resolve) => { const s = connect(p3, '127.0.0.1', () => resolve(s)); });
    toNode3.setNoDelay(true);
    fake.measuring = true;
    const pinger = setInterval(() => fake.ping(toNode3), 1);
    const done = await waitFor('the load to finish', () => /done (\d+) (\d+)/.exec(load.out) ?? undefined, LOAD_MS + 30_000, 10);
    clearInterval(pinger);
    fake.measuring = false;
    toNode3.destroy();
    return { rtt: fake.rtt, pings: fake.pings, sent: Number(done[1]), failed: Number(done[2]) };
  } finally {
    if (loadPid !== undefined && !load.exited) process.kill(loadPid, 'SIGKILL');
    await procs.killAll();
    await new Promise<void>((r) => fake.server.close(() => r()));
  }
}

async function detection(runs: number): Promise<number[]> {
  const procs = new Procs();
  const out: number[] = [];
  try {
    const { files, miUrls } = await exampleConfigs(tempDir('sipcluster-bench-'));
    const [u1, u2] = miUrls as [string, string, string];
    for (const f of files) procs.start(f);
    for (let i = 0; i < runs; i++) {
      await waitFor('full mesh', async () => {
        for (const u of miUrls) { const n = await listNodes(u); if (n.length !== 2 || n.some((x) => x.link_state !== 'Up')) return undefined; }
        return true;
      }, 30_000);
      const victim = procs.last(files[2] as string);
      const at = performance.now();
      victim.child.kill('SIGKILL');
      await Promise.all([u1, u2].map((u) => waitFor('Down', async () => ((await listNodes(u)).find((x) => x.node_id === 3)?.link_state === 'Down' ? true : undefined), 15_000, 10)));
      out.push(performance.now() - at);
      procs.start(files[2] as string);
    }
  } finally {
    await procs.killAll();
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

const ip = await inProcess();
const idle = await outOfProcess(0);
const op = await outOfProcess(ip.msgsPerS);
const det = await detection(3);
console.log('\ncluster driver on 127.0.0.1 (3 nodes, FAST timers)\n');
console.log('| measure | value |');
console.log('|---|---|');
console.log(`| generic messages/s node 2 → node 3 (64-byte payload, in-process runners, real TCP) | ${Math.round(ip.msgsPerS).toLocaleString('en-US')} |`);
console.log(`| (a) PING → PONG under that load, in-process (pinger, node 3 and the load share one event loop), p50 (${ip.rtt.length} samples) | ${pct(ip.rtt, 50).toFixed(3)} ms |`);
console.log(`| (a) same, in-process, p99 | ${pct(ip.rtt, 99).toFixed(3)} ms |`);
console.log(`| (b0) PING → PONG, node 3 a real process, no load, p50 / p99 (${idle.rtt.length} of ${idle.pings} PONGs back in time) | ${pct(idle.rtt, 50).toFixed(3)} / ${pct(idle.rtt, 99).toFixed(3)} ms |`);
console.log(`| (b) PING → PONG, node 3 a real process, load from a third process (${Math.round(op.sent / (LOAD_MS / 1000)).toLocaleString('en-US')} msgs/s sent, ${op.failed} refused by the driver), p50 (${op.rtt.length} of ${op.pings} PONGs back in time) | ${pct(op.rtt, 50).toFixed(3)} ms |`);
console.log(`| (b) same, out-of-process, p99 (target < 1 ms) | ${pct(op.rtt, 99).toFixed(3)} ms |`);
console.log(`| SIGKILL → both survivors list the node Down (real processes, ${det.length} runs) | ${det.map((d) => d.toFixed(0)).join(' / ')} ms |`);
