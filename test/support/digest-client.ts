/** A UA's side of digest auth for tests: the credentials value answering a challenge (RFC 7616 §3.4). */
import assert from 'node:assert/strict';
import { parseAuthParams } from '../../src/sip/registrar/digest-credentials.ts';
import { computeDigestResponse, computeHa1, type DigestAlgorithm } from '../../src/sip/registrar/digest-response.ts';

export function clientAnswer(challengeValue: string, opts: { user: string; password: string; method: string; uri: string; nc?: number; algorithm?: DigestAlgorithm; qop?: 'auth' | 'auth-int' }): string {
  const p = parseAuthParams(challengeValue);
  assert.ok(p.ok);
  const realm = p.value.params.get('realm') as string;
  const nonce = p.value.params.get('nonce') as string;
  const algorithm = opts.algorithm ?? (p.value.params.get('algorithm') as DigestAlgorithm);
  const hash = algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'client-nonce';
  const response = computeDigestResponse({
    algorithm, ha1: computeHa1(hash, opts.user, realm, opts.password), nonce, method: opts.method, uri: opts.uri, qop: opts.qop ?? 'auth', ncText: nc, cnonce, body: '',
  });
  return `Digest username="${opts.user}", realm="${realm}", nonce="${nonce}", uri="${opts.uri}", response="${response}", ` +
    `algorithm=${algorithm}, qop=${opts.qop ?? 'auth'}, nc=${nc}, cnonce="${cnonce}"`;
}
