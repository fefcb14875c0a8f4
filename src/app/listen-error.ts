import { SipclusterError } from '../lib/errors.ts';

/**
 * Opens a listener and, if the socket cannot be had (port in use, address not ours, no
 * permission), fails with CONFIG_LISTEN_FAILED naming the config key: the bare
 * "listen EADDRINUSE: address already in use 127.0.0.1:5079" was the same for the MI, SIP and the
 * cluster.
 */
export async function listening<T>(key: string, open: Promise<T>): Promise<T> {
  try {
    return await open;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new SipclusterError('CONFIG_LISTEN_FAILED', `${key}: ${(e as Error).message}`, { cause: code });
    }
    throw e;
  }
}
