import { createRequire } from 'node:module';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { constants as osConstants } from 'node:os';
import { SipclusterError } from '../../lib/errors.ts';
import type { SendWatcher } from './types.ts';

/**
 * The native UDP engine: native/sip-udp.c, built at `npm ci` (scripts/build-native.mjs). A readable
 * socket is drained with recvmmsg(2) into a buffer shared with us and we are called once per batch
 * of up to 32 datagrams; the datagrams a turn queued leave with sendmmsg(2). Same sockets, same
 * semantics as node:dgram for the transport above; the difference is CPU: a bare responder costs
 * ~8.5 µs per REGISTER instead of ~15 (docs/performance.md, session 16).
 *
 * `sip.udpEngine` chooses: `auto` (this when it is built, else node:dgram), `native`, `dgram`.
 */
interface Binding {
  readonly BATCH: number;
  readonly SLOT: number;
  readonly META_INTS: number;
  readonly NAME: number;
  readonly ERR_NOT_LITERAL: number;
  open(family: 4 | 6, host: string, port: number, bufferBytes: number, arena: Buffer, meta: Int32Array, names: Buffer,
    onBatch: (n: number) => void, onWritable: () => void, onClose: () => void): [unknown, number, string];
  sendBatch(ep: unknown, datas: readonly Buffer[], ports: readonly number[], addresses: readonly string[], from: number, to: number, errors: Int32Array): number;
  armWritable(ep: unknown): void;
  close(ep: unknown): void;
}

export type UdpEngine = 'auto' | 'native' | 'dgram';

let binding: Binding | null | undefined;
let loadError = '';

/** The compiled engine, or undefined (not built, or refused by SIPCLUSTER_UDP_ENGINE=dgram); cached. */
export function nativeUdp(): Binding | undefined {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('../../../native/build/Release/sip_udp.node') as Binding;
    } catch (e) {
      binding = null;
      loadError = (e as Error).message.split('\n')[0] ?? '';
    }
  }
  return binding ?? undefined;
}

/** Why nativeUdp() is undefined, for the log line at start. */
export function nativeUdpLoadError(): string {
  return loadError;
}

/** The engine `sip.udpEngine` and the environment (SIPCLUSTER_UDP_ENGINE, for tests) choose. */
export function chooseUdpEngine(configured: UdpEngine): 'native' | 'dgram' {
  const env = process.env['SIPCLUSTER_UDP_ENGINE'];
  const want = env === 'native' || env === 'dgram' ? env : configured;
  if (want === 'dgram') return 'dgram';
  if (nativeUdp() !== undefined) return 'native';
  if (want === 'native') throw new SipclusterError('SIP_TRANSPORT_NATIVE_UDP_MISSING', `sip.udpEngine is native but the native UDP engine is not built (npm ci builds it; node scripts/build-native.mjs): ${loadError}`);
  return 'dgram';
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

function refusal(errno: number): Error {
  const name = errnoNames.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(`send ${name}`), { code: name, errno: -errno });
}

/** Told of a datagram that did not leave: `badTarget` for a destination that is no usable address. */
export type RefusalSink = (index: number, err: Error, badTarget: boolean) => void;

/** What the send queue hands a native socket: the queue's own arrays and a range of them. */
interface Pending {
  datas: Buffer[];
  ports: number[];
  addresses: string[];
  watchers: Array<SendWatcher | undefined>;
}

/** Datagrams held while the send buffer is full, at most (then dropped and told as ENOBUFS). */
const MAX_PENDING = 8192;

/** Source address texts of IPv4 datagrams by number: a REGISTER burst comes from few sources. */
const V4_NAMES_MAX = 4096;

/**
 * One bound UDP socket of the native engine. `onMessage` gets each datagram as a Buffer of its own
 * (copied out of the shared arena: a message may outlive the batch, in a transaction or a promise).
 */
export class NativeUdpSocket {
  /** The bound port and address (as the kernel reports them: port 0 asks for one). */
  readonly port: number;
  readonly address: string;
  private readonly b: Binding;
  private readonly ep: unknown;
  private readonly arena: Buffer;
  private readonly meta: Int32Array;
  private readonly names: Buffer;
  private readonly v4Names = new Map<number, string>();
  private errs = new Int32Array(64);
  private pending: Pending | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private closeWaiters: Array<() => void> = [];

  constructor(
    b: Binding,
    readonly family: 4 | 6,
    host: string,
    port: number,
    bufferBytes: number,
    private readonly onMessage: (data: Buffer, address: string, port: number) => void,
    /** A receive error (the socket's pending error), a truncated datagram. */
    private readonly onError: (err: Error) => void,
    /** Told of a held datagram refused once the socket took datagrams again (RefusalSink without an index). */
    private readonly onLateRefusal: (data: Buffer, address: string, port: number, err: Error, watcher: SendWatcher | undefined, badTarget: boolean) => void,
  ) {
    this.b = b;
    this.arena = Buffer.allocUnsafeSlow(b.BATCH * b.SLOT);
    this.meta = new Int32Array(b.BATCH * b.META_INTS);
    this.names = Buffer.alloc(b.BATCH * b.NAME);
    // Plain methods bound once: no closure per batch.
    let opened: [unknown, number, string];
    try {
      opened = b.open(family, host, port, bufferBytes, this.arena, this.meta, this.names,
        this.onBatch.bind(this), this.onWritable.bind(this), this.onClosed.bind(this));
    } catch (e) {
      // As dgram's bind error: `code` EADDRINUSE, EADDRNOTAVAIL, EACCES (listen-error.ts names the key).
      const errno = (e as { errno?: unknown }).errno;
      if (typeof errno !== 'number') throw e;
      const code = errnoNames.get(errno) ?? 'EINVAL';
      throw Object.assign(new Error(`bind ${code} ${host}:${port}`), { code, errno: -errno });
    }
    const [ep, bound, address] = opened;
    this.ep = ep;
    this.port = bound;
    this.address = address;
  }

  private onBatch(n: number): void {
    if (n < 0) { this.onError(refusal(-n)); return; }
    const { arena, meta, b } = this;
    const mi = b.META_INTS;
    let thrown: unknown;
    let threw = false;
    // As dgram: a listener that closes the socket hears no more datagrams, and one that throws
    // does not cost the others of the batch theirs (the first error is thrown after the batch).
    for (let i = 0; i < n && !this.closed; i++) {
      const len = meta[i * mi] as number;
      if (len < 0) { this.onError(new Error('UDP datagram truncated')); continue; }
      const v4 = meta[i * mi + 2] as number;
      const address = (v4 !== 0 ? this.v4Names.get(v4) : undefined) ?? this.addressAt(i, v4);
      const start = i * b.SLOT;
      const data = Buffer.allocUnsafeSlow(len);
      arena.copy(data, 0, start, start + len);
      try {
        this.onMessage(data, address, meta[i * mi + 1] as number);
      } catch (e) {
        if (!threw) { threw = true; thrown = e; }
      }
    }
    if (threw) throw thrown;
  }

  /** The source address text of datagram i of the batch (inet_ntop's), kept by number for IPv4. */
  private addressAt(i: number, v4: number): string {
    const { names, meta, b } = this;
    const address = names.toString('latin1', i * b.NAME, i * b.NAME + (meta[i * b.META_INTS + 3] as number));
    if (v4 !== 0) {
      if (this.v4Names.size >= V4_NAMES_MAX) this.v4Names.clear();
      this.v4Names.set(v4, address);
    }
    return address;
  }

  /**
   * Sends datas[from..to) in order; `refused` hears of each the kernel (or the address) refused,
   * by index. Never throws. What the full send buffer did not take waits, in order, for the socket
   * to drain; so do later batches, behind it.
   */
  sendMany(datas: Buffer[], ports: number[], addresses: string[], watchers: Array<SendWatcher | undefined> | undefined, from: number, to: number, refused: RefusalSink): void {
    if (this.closed) {
      for (let i = from; i < to; i++) refused(i, refusal(osConstants.errno.EBADF), false);
      return;
    }
    if (this.pending !== undefined) { this.hold(datas, ports, addresses, watchers, from, to); return; }
    if (this.errs.length < to - from) this.errs = new Int32Array(to - from);
    let errs = this.errs;
    const reached = this.b.sendBatch(this.ep, datas, ports, addresses, from, to, errs);
    // What the full buffer did not take is held first: a refusal told below may send again (a
    // branch failing over), and that must queue behind these, not overtake them.
    if (reached < to) {
      this.hold(datas, ports, addresses, watchers, reached, to);
      this.b.armWritable(this.ep);
    }
    let failed = false;
    for (let i = 0; i < reached - from && !failed; i++) failed = errs[i] !== 0;
    // A refusal's listeners may send again (a branch failing over), which reuses this.errs.
    if (failed) errs = errs.slice(0, reached - from);
    for (let i = from; failed && i < reached; i++) {
      const e = errs[i - from] as number;
      if (e === 0) continue;
      if (e === this.b.ERR_NOT_LITERAL) this.notLiteral(datas[i] as Buffer, ports[i] as number, addresses[i] as string, (err, bad) => refused(i, err, bad));
      else refused(i, refusal(e), false);
    }
  }

  /** One datagram; `cb` hears of a refusal only (unlike dgram's, never of a success). */
  send(data: Buffer, port: number, address: string, cb?: (err: Error | null) => void): void {
    this.sendMany([data], [port], [address], undefined, 0, 1, (_i, err) => cb?.(err));
  }

  /**
   * An address that is not an IP literal of this socket's family: a name is resolved (as dgram
   * does) and sent; an IP of the other family is refused as a bad target (EINVAL in dgram).
   */
  private notLiteral(data: Buffer, port: number, address: string, refused: (err: Error, badTarget: boolean) => void): void {
    if (port < 1 || port > 65535 || isIP(address) !== 0) {
      refused(Object.assign(new Error(`send to ${address}:${port}: not an address of this IPv${this.family} socket`), { code: 'EINVAL' }), true);
      return;
    }
    dnsLookup(address, { family: this.family }, (err, resolved) => {
      if (err !== null) { refused(err, false); return; }
      if (isIP(resolved) === 0) { refused(new Error(`send to ${address}: no address`), true); return; }
      this.sendMany([data], [port], [resolved], undefined, 0, 1, (_i, e, bad) => refused(e, bad));
    });
  }

  private hold(datas: Buffer[], ports: number[], addresses: string[], watchers: Array<SendWatcher | undefined> | undefined, from: number, to: number): void {
    if (this.closed) {
      // Closed by a refusal's listener meanwhile: nothing will drain a queue now.
      for (let i = from; i < to; i++) this.onLateRefusal(datas[i] as Buffer, addresses[i] as string, ports[i] as number, refusal(osConstants.errno.EBADF), watchers?.[i], false);
      return;
    }
    const p = (this.pending ??= { datas: [], ports: [], addresses: [], watchers: [] });
    for (let i = from; i < to; i++) {
      if (p.datas.length >= MAX_PENDING) {
        const err = refusal(osConstants.errno.ENOBUFS);
        this.onLateRefusal(datas[i] as Buffer, addresses[i] as string, ports[i] as number, err, watchers?.[i], false);
        continue;
      }
      p.datas.push(datas[i] as Buffer);
      p.ports.push(ports[i] as number);
      p.addresses.push(addresses[i] as string);
      p.watchers.push(watchers?.[i]);
    }
  }

  private onWritable(): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    this.sendMany(p.datas, p.ports, p.addresses, p.watchers, 0, p.datas.length, (i, err, bad) => {
      this.onLateRefusal(p.datas[i] as Buffer, p.addresses[i] as string, p.ports[i] as number, err, p.watchers[i], bad);
    });
  }

  private onClosed(): void {
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
  }

  /** Stops reading and closes the descriptor; held datagrams are refused (EBADF). */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    if (p !== undefined) {
      for (let i = 0; i < p.datas.length; i++) {
        this.onLateRefusal(p.datas[i] as Buffer, p.addresses[i] as string, p.ports[i] as number, refusal(osConstants.errno.EBADF), p.watchers[i], false);
      }
    }
    this.closing = new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.b.close(this.ep);
    });
    return this.closing;
  }
}
