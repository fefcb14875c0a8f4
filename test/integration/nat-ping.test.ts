/**
 * `registrar.natPing` through the real node wiring (in process, real UDP sockets on 127.0.0.1): a
 * phone registered from another address than its Contact gets OPTIONS pings from the socket it
 * registered on, its replies are taken by the pinger (not forwarded statelessly by the proxy), and
 * once it stops answering it is removed after maxPingsLost pings. Off by default. With
 * `natPing.tcp`, a phone registered over TCP is pinged on its own connection, and none is opened to
 * one whose connection has closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { NodeRuntime } from '../../src/app/node-runtime.ts';
import { parseConfigText } from '../../src/app/config/load-config.ts';
import { freePort } from '../support/ports.ts';

const routes = fileURLToPath(new URL('../e2e/fixtures/open-registrar-routes.ts', import.meta.url));

async function startNode(sipPort: number, registrarYaml: string, withTcp = false): Promise<NodeRuntime> {
  const tcp = withTcp ? `, { proto: tcp, host: 127.0.0.1, port: ${sipPort} }` : '';
  const config = parseConfigText([
    'node: { name: nat-ping-test, logLevel: silent }',
    'mi: { enabled: false }',
    `sip: { listen: [ { proto: udp, host: 127.0.0.1, port: ${sipPort} }${tcp} ] }`,
    `routes: { module: ${JSON.stringify(routes)} }`,
    registrarYaml,
    '',
  ].join('\n'));
  return NodeRuntime.start({ config, file: '<inline>', baseDir: process.cwd() });
}

interface Phone { sock: Socket; port: number; got: Array<{ text: string; rinfo: RemoteInfo }> }

async function phone(): Promise<Phone> {
  const sock = createSocket('udp4');
  const got: Phone['got'] = [];
  sock.on('message', (m, rinfo) => got.push({ text: m.toString('latin1'), rinfo }));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got };
}

async function until<T>(what: string, f: () => T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function register(p: Phone, sipPort: number, user: string, contact: string): Promise<void> {
  const n = p.got.length;
  p.sock.send(Buffer.from([
    `REGISTER sip:127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-reg-${user};rport`, 'Max-Forwards: 70',
    `From: <sip:${user}@127.0.0.1>;tag=r1`, `To: <sip:${user}@127.0.0.1>`, `Call-ID: reg-${user}@test`, 'CSeq: 1 REGISTER',
    `Contact: <${contact}>`, 'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n')), sipPort, '127.0.0.1');
  const res = await until('the 200 to REGISTER', () => p.got.slice(n).find((g) => g.text.startsWith('SIP/2.0 ')), 5000);
  assert.match(res.text, /^SIP\/2\.0 200 /);
}

/** A UAS answer to a request: its Via, From, To (tagged), Call-ID and CSeq. */
function answer(req: string, status: number): Buffer {
  const head = req.split('\r\n');
  const keep = head.filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)).map((l) => (/^To:/i.test(l) ? `${l};tag=ph` : l));
  return Buffer.from([`SIP/2.0 ${status} Whatever`, ...keep, 'Content-Length: 0', '', ''].join('\r\n'));
}

const isOptions = (g: { text: string }): boolean => g.text.startsWith('OPTIONS ');

test('a NATed binding is pinged from the socket it registered on; replies are the pinger\'s; silence removes it', async () => {
  const sipPort = await freePort();
  const rt = await startNode(sipPort, 'registrar: { natPing: { intervalSec: 1, maxPingsLost: 2, replyTimeoutMs: 500 } }');
  const natted = await phone();
  const direct = await phone();
  const stat = (name: string): number => rt.stats.get([name])[name] ?? 0;
  try {
    await register(natted, sipPort, 'alice', 'sip:alice@10.1.2.3:5060');
    await register(direct, sipPort, 'bob', `sip:bob@127.0.0.1:${direct.port}`);
    const ping = await until('an OPTIONS ping', () => natted.got.find(isOptions), 4000);
    assert.equal(ping.rinfo.port, sipPort, 'from the SIP socket alice registered on');
    assert.match(ping.text, /^OPTIONS sip:alice@10\.1\.2\.3:5060 SIP\/2\.0\r\n/);
    assert.match(ping.text, /\r\nFrom: <sip:pinger@127\.0\.0\.1>;tag=/);
    natted.sock.send(answer(ping.text, 404), sipPort, '127.0.0.1');
    await until('the reply counted', () => (stat('nathelper:ping_replies') >= 1 ? true : undefined), 2000);
    assert.equal(stat('core:fwd_replies'), 0, 'not forwarded statelessly');
    assert.equal(stat('core:drop_replies'), 0);
    // alice goes silent: two pings lost in a row remove her.
    await until('alice removed', () => (rt.registrar?.location.lookup('alice@127.0.0.1').length === 0 ? true : undefined), 6000);
    assert.equal(stat('nathelper:contacts_removed'), 1);
    assert.ok(stat('nathelper:pings_lost') >= 2);
    assert.equal(direct.got.filter(isOptions).length, 0, 'bob registered from his Contact: not NATed, not pinged');
    assert.equal(rt.registrar?.location.lookup('bob@127.0.0.1').length, 1);
  } finally {
    natted.sock.close();
    direct.sock.close();
    await rt.stop('test over');
  }
});

test('without registrar.natPing nothing is pinged', async () => {
  const sipPort = await freePort();
  const rt = await startNode(sipPort, 'registrar: {}');
  const natted = await phone();
  try {
    assert.equal(rt.sip?.natPinger, undefined);
    await register(natted, sipPort, 'alice', 'sip:alice@10.1.2.3:5060');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(natted.got.filter(isOptions).length, 0);
    assert.equal(rt.stats.get(['nathelper:pings_sent'])['nathelper:pings_sent'] ?? 0, 0);
  } finally {
    natted.sock.close();
    await rt.stop('test over');
  }
});

/** A phone on a TCP connection to the node: what arrives on it, split into messages. */
interface TcpPhone { sock: TcpSocket; localPort: number; text: () => string }

async function tcpPhone(sipPort: number): Promise<TcpPhone> {
  const sock = connect(sipPort, '127.0.0.1');
  let text = '';
  sock.on('data', (d) => { text += d.toString('latin1'); });
  sock.on('error', () => {});
  await new Promise<void>((r) => sock.once('connect', () => r()));
  return { sock, localPort: sock.localPort ?? 0, text: () => text };
}

async function registerTcp(p: TcpPhone, sipPort: number, user: string, contact: string): Promise<void> {
  p.sock.write([
    `REGISTER sip:127.0.0.1:${sipPort} SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${p.localPort};branch=z9hG4bK-reg-${user}`, 'Max-Forwards: 70',
    `From: <sip:${user}@127.0.0.1>;tag=r1`, `To: <sip:${user}@127.0.0.1>`, `Call-ID: reg-${user}@test`, 'CSeq: 1 REGISTER',
    `Contact: <${contact}>`, 'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  await until('the 200 to REGISTER over TCP', () => (/^SIP\/2\.0 200 /.test(p.text()) ? true : undefined), 5000);
}

/** The whole OPTIONS requests received so far on a stream (each ends at its empty line: no body). */
function optionsOn(stream: string): string[] {
  return stream.split(/(?=OPTIONS sip:)/).filter((m) => m.startsWith('OPTIONS ') && m.includes('\r\n\r\n')).map((m) => m.slice(0, m.indexOf('\r\n\r\n') + 4));
}

test('natPing.tcp: a TCP binding is pinged on the connection it registered through; a gone connection is never re-opened', async () => {
  const sipPort = await freePort();
  const rt = await startNode(sipPort, 'registrar: { natPing: { intervalSec: 1, tcp: true, maxPingsLost: 2, replyTimeoutMs: 500 } }', true);
  const stat = (name: string): number => rt.stats.get([name])[name] ?? 0;
  const carol = await tcpPhone(sipPort);
  const dave = await tcpPhone(sipPort);
  let trap: Server | undefined;
  let dialled = 0;
  try {
    // Both behind a NAT (their Contacts are private addresses): received is the connection's far end.
    await registerTcp(carol, sipPort, 'carol', 'sip:carol@10.1.2.3:5060;transport=tcp');
    await registerTcp(dave, sipPort, 'dave', 'sip:dave@10.1.2.4:5060;transport=tcp');
    assert.equal(stat('net:tcp_connections'), 2);
    // dave's connection goes (reset: no TIME_WAIT holds its port); then something listens where it
    // was, so a ping that dialled would be seen.
    const davePort = dave.localPort;
    const closed = new Promise((r) => dave.sock.once('close', r));
    dave.sock.resetAndDestroy();
    await closed;
    await until('dave\'s connection gone on the node', () => (stat('net:tcp_connections') === 1 ? true : undefined), 3000);
    trap = createServer((s) => { dialled++; s.destroy(); });
    await new Promise<void>((r, j) => { trap?.once('error', j); trap?.listen(davePort, '127.0.0.1', () => r()); });

    const ping = await until('an OPTIONS ping on carol\'s connection', () => optionsOn(carol.text())[0], 4000);
    assert.match(ping, /^OPTIONS sip:carol@10\.1\.2\.3:5060;transport=tcp SIP\/2\.0\r\n/);
    assert.match(ping, new RegExp(`\r\nVia: SIP/2\\.0/TCP 127\\.0\\.0\\.1:${sipPort};branch=z9hG4bKnp`));
    assert.match(ping, /\r\nContent-Length: 0\r\n\r\n$/);
    carol.sock.write(answer(ping, 200));
    await until('carol\'s TCP reply counted', () => (stat('nathelper:ping_replies') >= 1 ? true : undefined), 2000);
    assert.equal(stat('core:fwd_replies'), 0, 'not forwarded statelessly');
    await until('dave skipped', () => (stat('nathelper:tcp_not_connected') >= 2 ? true : undefined), 4000);
    assert.equal(dialled, 0, 'no connection opened to dave');
    assert.equal(stat('net:tcp_connections'), 1, 'still only carol\'s connection');
    assert.equal(rt.registrar?.location.lookup('dave@127.0.0.1').length, 1, 'a skipped ping is not a lost one');
    // carol stops answering: maxPingsLost pings lost in a row remove her, as over UDP.
    await until('carol removed', () => (rt.registrar?.location.lookup('carol@127.0.0.1').length === 0 ? true : undefined), 6000);
    assert.ok(optionsOn(carol.text()).length >= 3, 'every ping on the same connection');
    assert.equal(stat('nathelper:contacts_removed'), 1);
    assert.equal(dialled, 0);
  } finally {
    carol.sock.destroy();
    dave.sock.destroy();
    trap?.close();
    await rt.stop('test over');
  }
});
