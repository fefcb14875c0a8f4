/**
 * Responses and forwards whose target comes from the network and that Node cannot send to: a Via
 * with port 0 or rport=0 (valid SIP grammar, `port = 1*DIGIT`), a Contact or Request-URI naming
 * port 0. Node's dgram throws synchronously for them; the node must refuse and count each one and
 * keep answering (a review found one datagram ended the process).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { mi, startNode, tempDir, waitFor, writeConfig, type NodeProcess } from '../support/node-process.ts';

const routes = fileURLToPath(new URL('./fixtures/open-registrar-routes.ts', import.meta.url));

function request(method: string, uri: string, via: string, port: number, callId = `hostile-${Math.random().toString(36).slice(2)}`): string {
  return [`${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${via};branch=z9hG4bK-${method}-${via.length}-${Math.random().toString(36).slice(2)}`, 'Max-Forwards: 70',
    `From: <sip:a@127.0.0.1:${port}>;tag=1`, `To: <sip:b@127.0.0.1:${port}>`, `Call-ID: ${callId}`, `CSeq: 1 ${method}`,
    'Contact: <sip:a@127.0.0.1:0>', 'Content-Length: 0', '', ''].join('\r\n');
}

for (const withRoutes of [false, true]) {
  describe(`targets Node refuses (${withRoutes ? 'proxy with routes' : 'stateless node'})`, () => {
    let node: NodeProcess;
    let sipPort: number;
    let url: string;
    let client: Socket;
    const replies: string[] = [];

    before(async () => {
      const dir = tempDir();
      sipPort = await freePort();
      const miPort = await freePort();
      const file = writeConfig(dir, 'node.yaml', [
        `node: { name: e2e-hostile-${withRoutes ? 'proxy' : 'sl'}, logLevel: error }`,
        `mi: { port: ${miPort} }`,
        `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
        ...(withRoutes ? ['store: { url: "sqlite:node.db" }', `routes: { module: ${JSON.stringify(routes)} }`] : []),
        '',
      ].join('\n'));
      node = startNode(file);
      url = `http://127.0.0.1:${miPort}/mi`;
      await waitFor('the node to start', async () => ((await mi(url, 'core:uptime')).result !== undefined ? true : undefined), 20_000);
      client = createSocket('udp4');
      await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
      client.on('message', (m) => replies.push(m.toString('latin1')));
    });

    after(async () => {
      client.close();
      node.child.kill('SIGTERM');
      await node.exited;
    });

    test('Via port 0, rport=0, a Request-URI to port 0: refused and counted; the node still answers', async () => {
      const self = client.address().port;
      const hostile = [
        request('OPTIONS', `sip:x@127.0.0.1:${sipPort}`, '127.0.0.1:0', sipPort),
        request('OPTIONS', `sip:x@127.0.0.1:${sipPort}`, `127.0.0.1:${self};rport=0`, sipPort),
        request('INVITE', `sip:x@127.0.0.1:${sipPort}`, '127.0.0.1:0', sipPort),
        request('MESSAGE', 'sip:x@127.0.0.1:0', `127.0.0.1:${self}`, sipPort),
      ];
      for (const m of hostile) client.send(m, sipPort, '127.0.0.1');
      // An ordinary request after them is answered: the process is alive and serving.
      client.send(request('OPTIONS', `sip:x@127.0.0.1:${sipPort}`, `127.0.0.1:${self}`, sipPort, 'ordinary-1'), sipPort, '127.0.0.1');
      await waitFor('the ordinary OPTIONS to be answered', async () => (replies.some((r) => r.startsWith('SIP/2.0 ') && r.includes('Call-ID: ordinary-1')) ? true : undefined), 5000);
      const stats = (await mi(url, 'statistics:get', { statistics: ['net:bad_send_targets', 'core:internal_errors'] })).result as Record<string, number>;
      assert.ok((stats['net:bad_send_targets'] ?? 0) >= 2, JSON.stringify(stats));
      assert.equal(stats['core:internal_errors'] ?? 0, 0, 'refused where the target is used, not caught as a bug');
      assert.equal(node.child.exitCode, null);
    });
  });
}
