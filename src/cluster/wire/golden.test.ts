/**
 * Golden vectors: every BIN packet captured from a real OpenSIPS 4.0.1 cluster
 * (../shared/vectors/opensips-bin, five scenario pcaps, the full-session pcap and anomaly-run1)
 * must decode with no byte left over to the fields the decoded listings show, and re-encode to
 * the identical bytes. The vectors are never copied into the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutVectors, vectorsDir } from '../../../test/support/vectors.ts';
import { pcapBinPackets, type StreamPacket } from '../../../test/support/pcap.ts';
import { CAPTURES, EXPECTED_TOTAL, isBinFlow } from '../../../test/support/golden-bin.ts';
import { parseListing, type ListingLine } from '../../../test/support/bin-listing.ts';
import { decodeBinPacket, encodeBinMessage } from './codec.ts';
import { decodeUsrlocSyncChunk, encodeUsrlocSyncChunk } from './usrloc-sync.ts';
import { decodeFrame } from './framing.ts';
import { CLUSTERER_TYPE_NAMES, USRLOC_TYPE_NAMES, CAP_USRLOC } from './types.ts';
import type { DecodedPacket } from './messages.ts';

/** Our decode, in the listing's key space. */
function summary(m: DecodedPacket): Map<string, string> {
  const s = new Map<string, string>();
  if (m.kind === 'unknown-capability') return s;
  s.set('cl', String(m.clusterId));
  s.set('src', String(m.sourceNodeId));
  if ('destinationNodeId' in m) s.set('dst', String(m.destinationNodeId));
  if ('path' in m && Array.isArray(m.path)) s.set('path', `[${m.path.join(',')}]`);
  switch (m.kind) {
    case 'ping': s.set('req_node_list', m.requestNodeList ? '1' : '0'); break;
    case 'ls-update':
      s.set('neighbour_node_id', String(m.neighborNodeId));
      s.set('new_link_state', m.linkState === 'down' ? '1' : '0');
      break;
    case 'generic-msg':
      s.set('tag', m.tag);
      s.set('msg', `'${m.payload.toString('utf8')}'`);
      break;
    case 'sync-req': s.set('cap', m.capability); break;
    case 'sync': s.set('cap', m.capability); s.set('chunks', String(m.chunks.length)); break;
    case 'sync-end': s.set('cap', m.capability); s.set('chunks', String(m.totalChunks)); break;
    case 'urecord-insert': case 'urecord-delete': case 'ucontact-insert': case 'ucontact-update': case 'ucontact-delete':
      s.set('aor', `'${m.aor.toString('utf8')}'`);
      break;
    default: break;
  }
  return s;
}

function checkAgainstListing(p: StreamPacket, line: ListingLine, where: string): void {
  assert.equal(p.frame, line.frame, `${where}: frame`);
  assert.equal(p.flow, line.flow, `${where}: flow`);
  assert.equal(p.bytes.length, line.length, `${where}: length`);
  const frame = decodeFrame(p.bytes);
  assert.ok(frame.ok, `${where}: frame decode`);
  assert.equal(frame.value.capability, line.capability, `${where}: capability`);
  const names = line.capability === CAP_USRLOC ? USRLOC_TYPE_NAMES : CLUSTERER_TYPE_NAMES;
  assert.equal(names[frame.value.type], line.typeName, `${where}: type`);
  const d = decodeBinPacket(p.bytes);
  if (!d.ok) assert.fail(`${where}: ${d.error.code} ${d.error.message}`);
  const ours = summary(d.value);
  for (const [k, v] of line.fields) {
    assert.ok(ours.has(k), `${where}: listing field ${k} not produced by our decode`);
    assert.equal(ours.get(k), v, `${where}: ${k}`);
  }
  const reqRpl = line.words.find((w) => w === 'REQ' || w === 'RPL');
  if (reqRpl !== undefined && d.value.kind === 'generic-msg') assert.equal(d.value.isRequest, reqRpl === 'REQ', `${where}: REQ/RPL`);
}

const dir = vectorsDir('opensips-bin');

test('golden: every captured BIN packet decodes to the listed fields and re-encodes identically', { skip: skipWithoutVectors('opensips-bin') }, () => {
  let total = 0;
  let reencoded = 0;
  let syncChunks = 0;
  for (const [pcap, listing] of CAPTURES) {
    const packets = pcapBinPackets(readFileSync(join(dir!, pcap)), isBinFlow);
    const lines = parseListing(readFileSync(join(dir!, listing), 'utf8'));
    assert.equal(packets.length, lines.length, `${pcap}: packets vs listing lines`);
    packets.forEach((p, i) => {
      const where = `${pcap} #${i + 1}`;
      assert.equal(lines[i]!.index, i + 1, `${where}: listing numbering`);
      checkAgainstListing(p, lines[i]!, where);
      const d = decodeBinPacket(p.bytes);
      assert.ok(d.ok && d.value.kind !== 'unknown-capability');
      assert.deepEqual(encodeBinMessage(d.value), p.bytes, `${where}: re-encoded bytes`);
      reencoded++;
      if (d.value.kind === 'sync' && d.value.capability === CAP_USRLOC) {
        for (const chunk of d.value.chunks) {
          const rec = decodeUsrlocSyncChunk(chunk);
          if (!rec.ok) assert.fail(`${where}: sync chunk ${rec.error.code} ${rec.error.message}`);
          assert.deepEqual(encodeUsrlocSyncChunk(rec.value), chunk, `${where}: sync chunk re-encoded`);
          syncChunks++;
        }
      }
    });
    console.log(`# golden ${pcap}: ${packets.length} BIN packets`);
    total += packets.length;
  }
  console.log(`# golden total: ${total} BIN packets decoded, ${reencoded} re-encoded byte-identical, ${syncChunks} usrloc sync chunks`);
  assert.equal(total, EXPECTED_TOTAL);
  assert.equal(reencoded, EXPECTED_TOTAL);
});
