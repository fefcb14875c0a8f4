/**
 * Starts an example cluster (examples/<name>/node<i>.yaml + routes.ts) as real node processes on
 * free ports, for the talking-cluster end-to-end tests. The example's files use fixed ports with
 * a three-digit prefix per role (e.g. SIP 508<i>, BIN 558<i>, MI 889<i>); they are rewritten to
 * free ports, the routes module is pointed at the example folder, and the log level lowered.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { mi, startNode, tempDir, waitFor, type NodeProcess } from './node-process.ts';
import { describeSipp, type SippResult } from './sipp.ts';

export interface NodePorts { sip: number; bin: number; mi: number }

export interface ExampleClusterOptions {
  /** Folder name under examples/. */
  example: string;
  /** The fixed-port prefixes the example's YAML uses, e.g. { sip: '508', bin: '558', mi: '889' }. */
  prefixes: { sip: string; bin: string; mi: string };
  /** Further edits of node i's YAML text (1-based), after the port rewrite; may touch `dir`. */
  edit?: (text: string, i: number, dir: string) => string | Promise<string>;
  /** Log level written into the configs (default warn). */
  logLevel?: string;
}

/**
 * Replaces the example's fixed ports (prefix + 1-based node number, e.g. 5091) with the picked
 * ones in one pass over whole numbers of the original text: replacing prefix by prefix let a port
 * picked for one role (sip 28891) contain another role's fixed port (mi 8891), which the next
 * replacement then rewrote into a number over 65535.
 */
export function rewritePorts(text: string, prefixes: ExampleClusterOptions['prefixes'], ports: readonly NodePorts[]): string {
  const map = new Map<string, string>();
  ports.forEach((p, k) => {
    map.set(`${prefixes.sip}${k + 1}`, String(p.sip));
    map.set(`${prefixes.bin}${k + 1}`, String(p.bin));
    map.set(`${prefixes.mi}${k + 1}`, String(p.mi));
  });
  return text.replace(/(?<![\d.])\d+(?![\d.])/g, (n) => map.get(n) ?? n);
}

export class ExampleCluster {
  readonly dir = tempDir();
  readonly ports: NodePorts[] = [];
  readonly nodes: NodeProcess[] = [];
  readonly exampleDir: string;

  constructor(private readonly opts: ExampleClusterOptions) {
    this.exampleDir = fileURLToPath(new URL(`../../examples/${opts.example}/`, import.meta.url));
  }

  miUrl(i: number): string { return `http://127.0.0.1:${this.ports[i]?.mi}/mi`; }
  /** `host:port` of node i's SIP listener (0-based index). */
  sipOf(i: number): string { return `127.0.0.1:${this.ports[i]?.sip}`; }
  logs(tail = 2500): string { return this.nodes.map((n, i) => `--- node ${i + 1} ---\n${n.output().slice(-tail)}`).join('\n'); }
  show(r: SippResult): string { return `${describeSipp(r)}\n${this.logs()}`; }
  mi(i: number, method: string, params: unknown = {}): ReturnType<typeof mi> { return mi(this.miUrl(i), method, params); }

  /** Picks free ports for nodes up to `count` (call just before starting them: picked early, a node's own outgoing connections could take them). */
  async reservePorts(count: number): Promise<void> {
    while (this.ports.length < count) this.ports.push({ sip: await freePort(), bin: await freePort(), mi: await freePort() });
  }

  /** Writes node i's (1-based) config into the temp folder and returns its path. */
  async writeConfig(i: number): Promise<string> {
    const { prefixes, edit, logLevel = 'warn' } = this.opts;
    let text = rewritePorts(readFileSync(join(this.exampleDir, `node${i}.yaml`), 'utf8'), prefixes, this.ports);
    text = text.replace('routes: { module: routes.ts }', `routes: { module: ${JSON.stringify(join(this.exampleDir, 'routes.ts'))} }`)
      .replace(/logLevel: \w+/, `logLevel: ${logLevel}`);
    if (edit) text = await edit(text, i, this.dir);
    const file = join(this.dir, `node${i}.yaml`);
    writeFileSync(file, text);
    return file;
  }

  /** Starts node i (1-based) from a freshly written config; a node started before at index i is replaced in `nodes`. */
  async start(i: number): Promise<NodeProcess> {
    await this.reservePorts(i);
    const node = startNode(await this.writeConfig(i));
    this.nodes[i - 1] = node;
    return node;
  }

  /** Starts nodes 1..count and waits until every one sees the others Up. */
  async startAll(count: number): Promise<void> {
    await this.reservePorts(count);
    for (let i = 1; i <= count; i++) await this.start(i);
    await this.allUp(count);
  }

  /** Waits until each of the first `count` nodes lists the other count-1 as Up. */
  async allUp(count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(`every node to see the other ${count - 1} Up`, async () => {
      for (let i = 0; i < count; i++) {
        const r = (await mi(this.miUrl(i), 'clusterer:list')).result as { Clusters: Array<{ Nodes: Array<{ link_state: string }> }> } | undefined;
        const states = r?.Clusters[0]?.Nodes.map((n) => n.link_state) ?? [];
        if (states.length !== count - 1 || states.some((s) => s !== 'Up')) return undefined;
      }
      return true;
    }, timeoutMs, 200).catch((e: unknown) => { throw new Error(`${String(e)}\n${this.logs()}`); });
  }

  /** SIGCONTs (a test may have frozen one) and SIGTERMs every node, and waits for them to exit. */
  async stop(): Promise<void> {
    for (const n of this.nodes) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
      n.child.kill('SIGCONT');
      n.child.kill('SIGTERM');
    }
    await Promise.all(this.nodes.map((n) => n.exited));
  }
}
