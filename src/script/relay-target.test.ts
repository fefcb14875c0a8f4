import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact } from './api.ts';
import { toTarget } from './request-context.ts';

const contact = (o: Partial<Contact>): Contact => ({
  uri: 'sip:bob@198.51.100.7:5062', destination: 'sip:203.0.113.9:5060', q: 0.5, expiresInSec: 60, path: undefined, instance: undefined, ...o,
});

test('RFC 3327 §5.3: ctx.relay(contact) carries the contact\'s Path, and then not its received address (OpenSIPS lookup())', () => {
  assert.deepEqual(toTarget(contact({ path: '<sip:192.0.2.51;lr>' })), { uri: 'sip:bob@198.51.100.7:5062', q: 0.5, path: '<sip:192.0.2.51;lr>' });
});

test('a contact without Path is sent to its received address ($du), as before', () => {
  assert.deepEqual(toTarget(contact({})), { uri: 'sip:bob@198.51.100.7:5062', q: 0.5, destination: 'sip:203.0.113.9:5060' });
  assert.deepEqual(toTarget('sip:carol@192.0.2.1'), { uri: 'sip:carol@192.0.2.1' });
});
