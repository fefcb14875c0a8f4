import type { Random } from '../../lib/time.ts';

/** OpenSIPS 4.0.1's tag alphabet for generic messages: A–Z, a–y and 1–6 (57 symbols, vectors 03). */
const TAG_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy123456';
export const TAG_RANDOM_CHARS = 24;

/**
 * A request tag as OpenSIPS builds it: `<cluster_id>-<node_id>-<24 random chars>` (vectors 03 #9:
 * `1-1-TJhRPNFPBgjPOevKKvmwBwoT`). Receivers only echo it, so the format is for humans and for
 * interop with scripts that parse it.
 */
export function makeTag(clusterId: number, nodeId: number, random: Random): string {
  let s = `${clusterId}-${nodeId}-`;
  for (let i = 0; i < TAG_RANDOM_CHARS; i++) s += TAG_ALPHABET[Math.floor(random.next() * TAG_ALPHABET.length)] ?? 'A';
  return s;
}
