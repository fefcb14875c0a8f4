/**
 * Parses the vectors' `decoded/*.list.txt` lines:
 *   #17  frame 41  t= 2.009 127.0.0.1:43515 -> 127.0.0.1:5572  len=84  clusterer-internal NODE_DESCRIPTION cl=1 src=3 path=[3,1]
 * into the packet number, frame, flow, length, capability, type name and the key=value fields
 * (quoted values, [lists], and bare words such as REQ/RPL are kept as written).
 */
export interface ListingLine {
  readonly index: number;
  readonly frame: number;
  readonly flow: string;
  readonly length: number;
  readonly capability: string;
  readonly typeName: string;
  readonly fields: ReadonlyMap<string, string>;
  readonly words: readonly string[];
}

const LINE = /^#(\d+)\s+frame\s+(\d+)\s+t=\s*[-\d.]+\s+(\S+) -> (\S+)\s+len=(\d+)\s+(\S+)\s+(\S+)(.*)$/;
const TOKEN = /(\w+)=('[^']*'|\[[^\]]*\]|\S+)|(\S+)/g;

export function parseListing(text: string): ListingLine[] {
  const out: ListingLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (m === null) throw new Error(`listing line not understood: ${line}`);
    const fields = new Map<string, string>();
    const words: string[] = [];
    for (const t of m[8]!.matchAll(TOKEN)) {
      if (t[1] !== undefined) fields.set(t[1], t[2]!);
      else words.push(t[3]!);
    }
    out.push({
      index: Number(m[1]), frame: Number(m[2]), flow: `${m[3]} -> ${m[4]}`, length: Number(m[5]),
      capability: m[6]!, typeName: m[7]!, fields, words,
    });
  }
  return out;
}
