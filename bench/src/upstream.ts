import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The benchmark's upstream: a fixed small JSON answer, keep-alive, as cheap as Node makes it. */
const body = JSON.stringify({ id: 42, status: 'shipped', items: [{ sku: 'a-1', qty: 2 }] });
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ listening: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
// Nothing to drain: the runner stops this only when it is done with it, or when it is aborting
// while its load generator may still hold connections open.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
