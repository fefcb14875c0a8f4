/**
 * The node's transactions by matching key (see transaction-keys.ts). Entries remove themselves
 * when their machine terminates; `size` feeds the `tm:inuse_transactions` statistic.
 */
export class TransactionTable<S, C> {
  private readonly server = new Map<string, S>();
  private readonly client = new Map<string, C>();

  getServer(key: string): S | undefined {
    return this.server.get(key);
  }

  addServer(key: string, tx: S): void {
    this.server.set(key, tx);
  }

  removeServer(key: string, tx: S): void {
    if (this.server.get(key) === tx) this.server.delete(key);
  }

  getClient(key: string): C | undefined {
    return this.client.get(key);
  }

  addClient(key: string, tx: C): void {
    this.client.set(key, tx);
  }

  removeClient(key: string, tx: C): void {
    if (this.client.get(key) === tx) this.client.delete(key);
  }

  serverCount(): number {
    return this.server.size;
  }

  clientCount(): number {
    return this.client.size;
  }
}
