import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * Ports are picked below Linux's ephemeral range (32768–60999 by default): a port the OS handed out
 * with listen(0) comes from that range, and between our check and the node's bind another process's
 * outgoing connection (a node dialling a peer, SIPp, a database client) could be given the same
 * port — the ban-list e2e test once failed with EADDRINUSE that way. Below it, only another
 * explicit bind can collide, and the random choice makes two test files picking the same port
 * in the same instant unlikely.
 */
const LOW = 20_000;
const HIGH = 32_767;

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket('udp4');
    u.once('error', () => resolve(false));
    u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A port free for both TCP and UDP on 127.0.0.1 right now (SIP listens on both), never handed out
 * twice by this process. A tiny race with other processes remains between here and the real bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW + 1));
    if (handedOut.has(port)) continue;
    if ((await tcpFree(port)) && (await udpFree(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/**
 * An even port P for SIPp's `-mp` with P and P+2 free for UDP (SIPp binds its audio echo on P and its
 * video echo on P+2, even for scenarios without media, and exits 254 when either is taken). P..P+3
 * are never handed out again by this process, so freePort() cannot give a node P+2 afterwards.
 */
export async function freeMediaPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + 2 * Math.floor(Math.random() * ((HIGH - LOW - 3) / 2));
    if ([0, 1, 2, 3].some((d) => handedOut.has(port + d))) continue;
    if ((await udpFree(port)) && (await udpFree(port + 2))) {
      for (const d of [0, 1, 2, 3]) handedOut.add(port + d);
      return port;
    }
  }
  throw new Error('no free media port block found');
}
