import { createConnection, type Socket } from 'node:net';
import type { EslClientIo } from '../features/esl/index.ts';

/** What the socket driver reports to (the EslClient). */
export interface EslSocketSink {
  connected(): void;
  data(chunk: Buffer): void;
  closed(reason?: string): void;
}

/** TCP keepalive on the Event Socket: a FreeSWITCH host that vanished is noticed without traffic. */
const KEEPALIVE_MS = 30_000;

/**
 * The EslClient's socket over node:net: one TCP connection at a time to mod_event_socket. Events
 * of a socket the client already gave up on (closed, or replaced by a newer attempt) are not
 * reported, so a late 'close' cannot end the next connection.
 */
export class EslSocketDriver implements EslClientIo {
  private sock: Socket | undefined;
  sink: EslSocketSink | undefined;

  constructor(private readonly host: string, private readonly port: number) {}

  connect(): void {
    this.close();
    const s = createConnection({ host: this.host, port: this.port });
    this.sock = s;
    let lastError: string | undefined;
    s.setNoDelay(true);
    s.setKeepAlive(true, KEEPALIVE_MS);
    s.on('connect', () => { if (this.sock === s) this.sink?.connected(); });
    s.on('data', (d: Buffer) => { if (this.sock === s) this.sink?.data(d); });
    s.on('error', (e: NodeJS.ErrnoException) => { lastError = e.code ?? e.message; });
    s.on('close', () => {
      if (this.sock !== s) return;
      this.sock = undefined;
      this.sink?.closed(lastError === undefined ? undefined : `${lastError} (${this.host}:${this.port})`);
    });
  }

  write(text: string): void {
    this.sock?.write(text);
  }

  close(): void {
    const s = this.sock;
    this.sock = undefined;
    s?.destroy();
  }
}
