import { createServer, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';

/**
 * The baseline the proxy is measured against: the same forwarding library with a keep-alive agent
 * and nothing else (no routing, no auth, no logging). What Portcullis costs is the gap to this.
 */
const target = process.argv[2];
if (target === undefined) throw new Error('usage: bare-proxy <upstream url>');
const proxy = httpProxy.createProxyServer({ target, agent: new Agent({ keepAlive: true, maxSockets: 256 }) });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res) {
    res.writeHead(502);
    res.end();
  }
});
const server = createServer((req, res) => proxy.web(req, res));
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
