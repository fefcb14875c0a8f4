/**
 * SYNC chunks (clusterer sync.c cl_sync_chunk_start / the receiver's chunk iterator): after the
 * capability name and data_version, each chunk is `chunk_size:i32` (bytes after the marker),
 * `marker:i32 = 101010101`, then the capability's own data. Chunks run up to the trailer.
 * We check the marker and the size against the bytes left before taking the chunk.
 */
import type { ByteReader } from '../../lib/byte-reader.ts';
import type { ByteWriter } from '../../lib/byte-writer.ts';
import { wireError } from './errors.ts';
import { checkCount, type DecodeState } from './fields.ts';
import { MAX_SYNC_CHUNKS_PER_PACKET } from './limits.ts';
import { SYNC_CHUNK_START_MARKER } from './types.ts';

/** Reads chunks until the reader's window (the payload before the trailer) is used up. */
export function readSyncChunks(r: ByteReader, st: DecodeState): Buffer[] {
  const chunks: Buffer[] = [];
  while (r.remaining > 0 && !r.failed && st.error === undefined) {
    const at = r.offset;
    if (chunks.length >= MAX_SYNC_CHUNKS_PER_PACKET) {
      st.error = wireError('CLUSTER_WIRE_COUNT_LIMIT', `more than ${MAX_SYNC_CHUNKS_PER_PACKET} sync chunks`, at);
      break;
    }
    const size = r.i32();
    const marker = r.i32();
    if (r.failed) break;
    if (marker !== SYNC_CHUNK_START_MARKER) {
      st.error = wireError('CLUSTER_WIRE_BAD_CHUNK', `sync chunk marker ${marker}, expected ${SYNC_CHUNK_START_MARKER}`, at + 4);
      break;
    }
    if (size < 0 || size > r.remaining) {
      st.error = wireError('CLUSTER_WIRE_BAD_CHUNK', `sync chunk size ${size} with ${r.remaining} bytes left`, at);
      break;
    }
    chunks.push(r.bytes(size));
  }
  return chunks;
}

export function writeSyncChunks(w: ByteWriter, chunks: readonly Uint8Array[]): void {
  checkCount('sync chunks', chunks.length, MAX_SYNC_CHUNKS_PER_PACKET);
  for (const c of chunks) w.i32(c.length).i32(SYNC_CHUNK_START_MARKER).bytes(c);
}

/** Bytes one chunk of `dataBytes` takes in a SYNC packet (for donors filling packets up to the limit). */
export function syncChunkWireBytes(dataBytes: number): number {
  return 8 + dataBytes;
}
