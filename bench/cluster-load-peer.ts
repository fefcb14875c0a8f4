/**
 * Background load for bench/cluster.bench.ts, in a process of its own: a ClusterRunner as node 2
 * that, once its link to node 3 is Up, sends 64-byte generic messages to node 3 at a fixed rate
 * for a fixed time, then prints how many the driver accepted and exits.
 *   tsx bench/cluster-load-peer.ts <ownPort> <node3Port> <msgsPerS> <durationMs>
 * Protocol with the parent on stdout: `ready` when the link is Up, `done <sent> <failed>` at the end.
 */
import { realClock, realTimers } from '../src/lib/real-time.ts';
import { nullCounters } from '../src/lib/counter.ts';
import { nodeId } from '../src/lib/ids.ts';
import { ClusterNode } from '../src/cluster/node.ts';
import { ClusterRunner } from '../src/cluster/net/cluster-runner.ts';
import { FAST_HEARTBEAT } from '../src/cluster/membership/heartbeat-params.ts';

const [ownPort, node3Port, msgsPerS, durationMs] = process.argv.slice(2).map(Number) as [number, number, number, number];
const desc = (port: number) => ({ url: `bin:127.0.0.1:${port}`, sipAddr: '', priority: 50, noPingRetries: 1 });
const node = new ClusterNode({ clusterId: 1, selfId: nodeId(2), self: desc(ownPort), heartbeat: FAST_HEARTBEAT, nodes: [{ id: nodeId(3), description: desc(node3Port) }] }, realClock, nullCounters);
const runner = new ClusterRunner({
  node, clock: realClock, timers: realTimers, counters: nullCounters,
  transport: { listen: { tls: false, host: '127.0.0.1', port: ownPort }, allowNetworks: [], maxQueuedBytes: 64 << 20, reconnectMinMs: 100, reconnectMaxMs: 1000, connectTimeoutMs: 1000 },
});
await runner.start();
await new Promise<void>((resolve) => {
  const check = setInterval(() => { if (node.linkState(nodeId(3)) === 'up') { clearInterval(check); resolve(); } }, 20);
});
process.stdout.write('ready\n');

const payload = Buffer.from('x'.repeat(64));
let sent = 0;
let failed = 0;
const start = performance.now();
await new Promise<void>((done) => {
  // A token bucket on the monotonic clock: the rate holds whatever the event loop's granularity.
  const pump = (): void => {
    const elapsed = performance.now() - start;
    if (elapsed > durationMs) return done();
    const due = Math.floor((elapsed / 1000) * msgsPerS);
    while (sent + failed < due) {
      const r = runner.sendRouted({ kind: 'generic-msg', clusterId: 1, sourceNodeId: 2, destinationNodeId: 3, isRequest: true, tag: 'b', payload });
      if (r === 'sent') sent++;
      else failed++;
    }
    setImmediate(pump);
  };
  pump();
});
process.stdout.write(`done ${sent} ${failed}\n`);
await runner.stop();
process.exit(0);
