import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/**
 * Sends one SIP request over UDP from 127.0.0.1 and resolves with the status code of the first
 * final (or any, if `acceptProvisional`) response, or undefined after `timeoutMs`. For readiness
 * and "what does this server do with a REGISTER" probes, not for load.
 */
export function probeSip(port: number, method: 'OPTIONS' | 'REGISTER', opts: { timeoutMs?: number; user?: string } = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (code: number | undefined) => { clearTimeout(timer); sock.close(); resolve(code); };
    const timer = setTimeout(() => done(undefined), opts.timeoutMs ?? 1000);
    sock.on('error', () => done(undefined));
    sock.on('message', (buf) => {
      const m = /^SIP\/2\.0 (\d{3})/.exec(buf.toString('latin1'));
      if (m !== null && Number(m[1]) >= 200) done(Number(m[1]));
    });
    sock.bind(0, '127.0.0.1', () => {
      const local = sock.address().port;
      const tag = randomBytes(6).toString('hex');
      const user = opts.user ?? 'probe';
      const ruri = method === 'REGISTER' ? `sip:127.0.0.1:${port}` : `sip:127.0.0.1:${port}`;
      const msg = [
        `${method} ${ruri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${tag};rport`,
        `From: <sip:${user}@127.0.0.1:${port}>;tag=${tag}`,
        `To: <sip:${user}@127.0.0.1:${port}>`,
        `Call-ID: probe-${tag}@127.0.0.1`,
        `CSeq: 1 ${method}`,
        'Max-Forwards: 70',
        `Contact: <sip:${user}@127.0.0.1:${local}>`,
        ...(method === 'REGISTER' ? ['Expires: 0'] : []),
        'Content-Length: 0', '', '',
      ].join('\r\n');
      sock.send(msg, port, '127.0.0.1');
    });
  });
}

/** Probes OPTIONS until a final answer comes, or throws after `deadlineMs`. */
export async function waitSipReady(port: number, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await probeSip(port, 'OPTIONS', { timeoutMs: 300 }) !== undefined) return;
  }
  throw new Error(`no SIP answer on 127.0.0.1:${port} within ${deadlineMs} ms`);
}
