/** The OpenSIPS BIN captures the wire tests read, and a helper that returns all their packets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pcapBinPackets } from './pcap.ts';
import { vectorsDir } from './vectors.ts';

/** pcap and listing, counted as the issue counts them (00 overlaps 01..05 and is counted too). */
export const CAPTURES: ReadonlyArray<readonly [pcap: string, listing: string]> = [
  ['00-full-session-bin-and-sip.pcap', 'decoded/00-full-session-bin-and-sip.list.txt'],
  ['01-startup-topology.pcap', 'decoded/01-startup-topology.list.txt'],
  ['02-usrloc-replication.pcap', 'decoded/02-usrloc-replication.list.txt'],
  ['03-generic-msg-bcast-send.pcap', 'decoded/03-generic-msg-bcast-send.list.txt'],
  ['04-node3-crash-restart-sync.pcap', 'decoded/04-node3-crash-restart-sync.list.txt'],
  ['05-node2-graceful-stop-restart.pcap', 'decoded/05-node2-graceful-stop-restart.list.txt'],
  ['anomaly-run1/run1-01-startup-node3-stalled.pcap', 'anomaly-run1/run1-01-startup-node3-stalled.list.txt'],
];

export const EXPECTED_TOTAL = 728;

/** BIN listeners of the lab (5571-5573); SIP on 5071-5073 is UDP and never matches. */
export const isBinFlow = (flow: string): boolean => /:557[1-3](?!\d)/.test(flow);

/** Every BIN packet of one capture (by pcap file name), or of all of them; [] without vectors. */
export function goldenPackets(only?: string): Buffer[] {
  const dir = vectorsDir('opensips-bin');
  if (dir === undefined) return [];
  const out: Buffer[] = [];
  for (const [pcap] of CAPTURES) {
    if (only !== undefined && pcap !== only) continue;
    for (const p of pcapBinPackets(readFileSync(join(dir, pcap)), isBinFlow)) out.push(p.bytes);
  }
  return out;
}

/** Packets of the five scenario pcaps only (00 repeats them), for tests that want each once. */
export function scenarioPackets(): Buffer[] {
  return CAPTURES.slice(1, 6).flatMap(([pcap]) => goldenPackets(pcap));
}
