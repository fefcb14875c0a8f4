import { lookup } from 'node:dns/promises';
import type { Resolver, SipProto, SipTarget } from '../sip/proxy/index.ts';

/**
 * RFC 3263, reduced to what most deployments need: A/AAAA records of the host, the URI's port or
 * 5060. (NAPTR/SRV selection is a later step; numeric hosts never get here.)
 */
export const dnsResolver: Resolver = {
  async resolve(host: string, port: number | undefined, proto: SipProto): Promise<SipTarget[]> {
    try {
      const addrs = await lookup(host, { all: true });
      return addrs.map((a) => ({ proto, address: a.address, port: port ?? 5060 }));
    } catch {
      return [];
    }
  },
};
