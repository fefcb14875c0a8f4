import { isAscii } from 'node:buffer';

/**
 * True when every byte of `bytes` is below 0x80 (Node's SIMD check: one native call for a whole
 * datagram). ASCII bytes decode to the same string as Latin-1 and as UTF-8, so a caller may then
 * take one Latin-1 string and slice it instead of decoding piece by piece.
 */
export function allAscii(bytes: Uint8Array): boolean {
  return isAscii(bytes);
}
