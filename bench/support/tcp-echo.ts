/**
 * The floor under a cluster request→reply: a bare Node process echoing whatever arrives on a TCP
 * connection (noDelay), nothing else. bench:talk times round trips to it from its own process at
 * the same rate as the script-level measurement, so the two percentiles compare like with like.
 *   npx tsx bench/support/tcp-echo.ts   (prints "tcp echo on <port>")
 */
import { createServer } from 'node:net';

const server = createServer((s) => {
  s.setNoDelay(true);
  s.on('data', (d) => s.write(d));
  s.on('error', () => s.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`tcp echo on ${typeof a === 'object' && a !== null ? a.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
