/** Helpers for the cluster integration tests: example configs on free ports, MI polling. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.ts';
import { mi, repoRoot, startNode, writeConfig } from '../support/node-process.ts';
import type { NodeProcess } from '../support/node-process.ts';

export interface ListedNode {
  readonly node_id: number;
  readonly link_state: string;
  readonly next_hop: string;
}

/** The examples use fixed loopback ports; the tests rewrite them to free ones in temp copies. */
export async function exampleConfigs(dir: string, edit: (yaml: string, i: number) => string = (y) => y): Promise<{ files: string[]; miUrls: string[] }> {
  const map = new Map<string, number>();
  for (const i of [1, 2, 3]) for (const base of [888, 506, 557]) map.set(`${base}${i}`, await freePort());
  const files: string[] = [];
  const miUrls: string[] = [];
  for (const i of [1, 2, 3]) {
    let y = readFileSync(join(repoRoot, 'examples/cluster', `node${i}.yaml`), 'utf8');
    for (const [from, to] of map) y = y.replaceAll(`:${from}`, `:${to}`).replaceAll(`port: ${from}`, `port: ${to}`);
    files.push(writeConfig(dir, `node${i}.yaml`, edit(y, i)));
    miUrls.push(`http://127.0.0.1:${map.get(`888${i}`)}/mi`);
  }
  return { files, miUrls };
}

export async function listNodes(url: string): Promise<ListedNode[]> {
  const r = await mi(url, 'clusterer_list');
  const res = r.result as { Clusters: Array<{ Nodes: ListedNode[] }> } | undefined;
  return res?.Clusters[0]?.Nodes ?? [];
}

export async function stat(url: string, name: string): Promise<number> {
  const r = await mi(url, 'statistics:get', { statistics: [name] });
  return Number((r.result as Record<string, number> | undefined)?.[name] ?? 0);
}

/** Kills every process on exit of the test, whatever happened. */
export class Procs {
  private readonly all: NodeProcess[] = [];

  start(file: string): NodeProcess {
    const p = startNode(file);
    this.all.push(p);
    return p;
  }

  /** The most recent process started from `file`. */
  last(file: string): NodeProcess {
    const p = [...this.all].reverse().find((x) => x.configFile === file);
    if (p === undefined) throw new Error(`no process for ${file}`);
    return p;
  }

  async killAll(): Promise<void> {
    for (const p of this.all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.all.map((p) => p.exited));
  }

  dump(): string {
    return this.all.map((p) => `--- ${p.configFile}\n${p.output().slice(-3000)}`).join('\n');
  }
}
