import type { PeerCertificate } from 'node:tls';

/** Key, certificate and CA for `bins:` links; both sides present a certificate (mutual TLS). */
export interface TlsMaterial {
  readonly serverOptions: { key: Buffer; cert: Buffer; ca: Buffer };
  readonly clientOptions: { key: Buffer; cert: Buffer; ca: Buffer };
}

/**
 * The node id a certificate names: a DNS subjectAltName or the common name of the form
 * `node-<id>` (optionally followed by a domain, `node-3.cluster.example`). The BIN wire has no
 * field for a secret, so identity comes from the certificate: a node can only claim the id its
 * CA-signed certificate carries (OpenSIPS accepts any node that claims an id).
 */
export function nodeIdentityFromCert(cert: PeerCertificate | undefined): number | undefined {
  if (cert === undefined || cert === null) return undefined;
  const names: string[] = [];
  const san = (cert as { subjectaltname?: string }).subjectaltname;
  if (typeof san === 'string') {
    for (const part of san.split(',')) {
      const t = part.trim();
      if (t.startsWith('DNS:')) names.push(t.slice(4));
    }
  }
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  for (const n of names) {
    const m = /^node-(\d{1,10})(?:\.|$)/.exec(n);
    if (m !== null) {
      const id = Number(m[1]);
      if (id > 0 && id <= 0x7fffffff) return id;
    }
  }
  return undefined;
}
