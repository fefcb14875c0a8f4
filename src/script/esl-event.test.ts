import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineRoutes, parseEslBroadcast, type EslEvent } from './api.ts';
import type { AuthPort, RegistrarPort } from './ports.ts';
import { ScriptHost } from './script-host.ts';

const registrar = {} as RegistrarPort;
const auth = {} as AuthPort;
const ev = (name: string): EslEvent => ({ name, subclass: undefined, headers: { 'Event-Name': name }, body: undefined });

function host(routes: Parameters<typeof defineRoutes>[0]) {
  const errors: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (o: object, m: string) => { errors.push(`${m} ${String((o as { handler?: string }).handler)}`); } };
  return { host: new ScriptHost(defineRoutes(routes), { registrar, auth, cluster: undefined, logger }), errors };
}

test('eslEvent decides: false holds the event back, anything else lets it through; no handler lets everything through', async () => {
  const { host: h } = host({ request: () => {}, eslEvent: (e) => e.name !== 'CHANNEL_CREATE' });
  assert.equal(h.eslEvent(ev('CHANNEL_CREATE')), false);
  assert.equal(h.eslEvent(ev('CHANNEL_ANSWER')), true);
  assert.equal(host({ request: () => {} }).host.eslEvent(ev('X')), true);
  const { host: v } = host({ request: () => {}, eslEvent: () => {} });
  assert.equal(v.eslEvent(ev('X')), true);
  const { host: a } = host({ request: () => {}, eslEvent: async (e) => e.name === 'OK' });
  assert.equal(await a.eslEvent(ev('OK')), true);
  assert.equal(await a.eslEvent(ev('NO')), false);
});

test('a throwing or rejecting eslEvent holds the event back and is logged', async () => {
  const { host: h, errors } = host({ request: () => {}, eslEvent: () => { throw new Error('boom'); } });
  assert.equal(h.eslEvent(ev('X')), false);
  const { host: a, errors: e2 } = host({ request: () => {}, eslEvent: async () => { throw new Error('later'); } });
  assert.equal(await a.eslEvent(ev('X')), false);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([...errors, ...e2], ['routing script eslEvent handler threw eslEvent', 'routing script eslEvent handler threw eslEvent']);
});

test('parseEslBroadcast is part of the script API', () => {
  assert.equal(parseEslBroadcast('ESL:{"Event-Name":"CHANNEL_CREATE","Unique-ID":"u"}')?.headers['Unique-ID'], 'u');
});
