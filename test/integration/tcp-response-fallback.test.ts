/**
 * RFC 3261 §18.2.2 with a real TCP transport: a response whose request connection has closed goes
 * to the source address at the sent-by port (where the UA listens), not to the closed connection's
 * ephemeral port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { SipTransport } from '../../src/sip/transport/sip-transport.ts';
import type { ReceiveInfo } from '../../src/sip/transport/types.ts';
import { responseTarget } from '../../src/sip/proxy/via-routing.ts';
import { parseMessage } from '../../src/sip/message/index.ts';
import { nullCounters } from '../../src/lib/counter.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

// §18.2.2: "the response MUST be sent using the existing connection to the source of the original
// request ... if that connection is still open. ... If not, the server SHOULD open a connection to
// the IP address in the "received" parameter, if present, using the port in the "sent-by" value, or
// the default port for that transport, if no port is specified."
test('§18.2.2 response after the request connection closed goes to the sent-by port, not the ephemeral source port', async () => {
  const got: Array<{ data: Buffer; info: ReceiveInfo }> = [];
  const sendErrors: string[] = [];
  const t = new SipTransport((data, info) => got.push({ data, info }), (_t, code) => sendErrors.push(code), nullCounters);
  const [l] = await t.listen([{ proto: 'tcp', host: '127.0.0.1', port: 0 }]);
  // The UAC's own listener (its sent-by).
  const uacGot: string[] = [];
  const uac = createServer((s: Socket) => s.on('data', (d) => uacGot.push(d.toString())));
  await new Promise<void>((r) => uac.listen(0, '127.0.0.1', () => r()));
  const sentByPort = (uac.address() as { port: number }).port;
  try {
    const c = connect(l!.port, '127.0.0.1');
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.write(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${sentByPort};branch=z9hG4bKq\r\nMax-Forwards: 70\r\n`
      + 'From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: q\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n');
    for (let i = 0; i < 100 && got.length === 0; i++) await wait(10);
    c.destroy(); // the request's connection goes away before the response
    await wait(100);
    const req = parseMessage(got[0]!.data, { framing: 'stream' });
    assert.ok(req.ok);
    const target = responseTarget(req.value.topVia, got[0]!.info);
    t.send(target, Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'));
    await wait(300);
    assert.deepEqual({ uacGot: uacGot.length, sendErrors }, { uacGot: 1, sendErrors: [] }, `target was ${JSON.stringify(target)}, sent-by port ${sentByPort}`);
  } finally {
    uac.close();
    await t.close();
  }
});
