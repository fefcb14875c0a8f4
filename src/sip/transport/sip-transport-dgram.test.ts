/**
 * The transport's tests again with the node:dgram UDP engine (sip.udpEngine: dgram, the fallback
 * when the native engine is not built); sip-transport.test.ts runs them with the default engine.
 * Each test file runs in its own process: the environment variable stays here.
 */
process.env['SIPCLUSTER_UDP_ENGINE'] = 'dgram';
await import('./sip-transport.test.ts');
