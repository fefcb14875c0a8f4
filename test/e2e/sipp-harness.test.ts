// The SIPp harness itself: a SIPp whose media ports were taken between our check and its bind is
// run again on another block instead of failing the test that uses it (CI failed once on
// "Unable to bind video RTP socket": SIPp binds -mp and -mp+2 even for scenarios without media).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { buildResponse, parseMessage } from '../../src/sip/message/index.ts';
import { freeMediaPort, freePort } from '../support/ports.ts';
import { describeSipp, failedToBind, runSipp, skipWithoutSipp, startSippServer } from '../support/sipp.ts';

const options = fileURLToPath(new URL('./scenarios/options.xml', import.meta.url));
const uas = fileURLToPath(new URL('./scenarios/uas-call.xml', import.meta.url));

async function bindUdp(port: number): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(port, '127.0.0.1', () => resolve()); });
  return s;
}

const close = (s: Socket) => new Promise<void>((resolve) => s.close(() => resolve()));

test('failedToBind: a run that made no call and reported a bind error, and nothing else', () => {
  const base = { successful: 0, failed: 0, output: '' };
  assert.equal(failedToBind({ ...base, errors: 'Unable to bind video RTP socket (IP=127.0.0.1, port=27644), errno = 98 (Address already in use)' }), true);
  assert.equal(failedToBind({ ...base, errors: '', output: 'Unable to bind UDP socket: Address already in use' }), true);
  assert.equal(failedToBind({ ...base, errors: 'Aborting call on unexpected message' }), false);
  assert.equal(failedToBind({ successful: 1, failed: 0, output: '', errors: 'Unable to bind video RTP socket' }), false);
});

test('freeMediaPort: an even port whose block of four is never handed out again', async () => {
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const p = await freeMediaPort();
    assert.equal(p % 2, 0);
    for (const d of [0, 1, 2, 3]) { assert.equal(seen.has(p + d), false, `port ${p + d} handed out twice`); seen.add(p + d); }
  }
  for (let i = 0; i < 50; i++) assert.equal(seen.has(await freePort()), false);
});

test('runSipp: a client whose video RTP port is taken runs again on another block and succeeds', { skip: skipWithoutSipp() }, async () => {
  // A minimal UDP UAS answering OPTIONS with 200.
  const server = await bindUdp(0);
  server.on('message', (data, rinfo) => {
    const r = parseMessage(data, { framing: 'datagram' });
    if (r.ok && r.value.kind === 'request') server.send(buildResponse(r.value, 200, 'OK').bytes, rinfo.port, rinfo.address);
  });
  const mediaPort = await freeMediaPort();
  const squatter = await bindUdp(mediaPort + 2);
  try {
    const res = await runSipp({ scenario: options, target: `127.0.0.1:${server.address().port}`, calls: 3, rate: 10, mediaPort, timeoutMs: 20_000 });
    assert.equal(res.successful, 3, describeSipp(res));
  } finally {
    await close(squatter);
    await close(server);
  }
});

test('startSippServer: a server whose video RTP port is taken starts on another block', { skip: skipWithoutSipp() }, async () => {
  const mediaPort = await freeMediaPort();
  const squatter = await bindUdp(mediaPort + 2);
  try {
    const srv = await startSippServer({ scenario: uas, target: '127.0.0.1:5060', calls: 1, localPort: await freePort(), mediaPort, timeoutMs: 20_000 });
    const res = await srv.stop(2000);
    assert.equal(res.failed, 0, describeSipp(res));
  } finally {
    await close(squatter);
  }
});
