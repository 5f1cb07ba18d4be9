import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ControllerMetrics } from './metrics.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The controller's scrape endpoint: `GET /metrics` and `GET /healthz`, nothing else. It carries no
 * secrets (never a key, token or snapshot body), so it needs no authentication, but it listens only
 * where the operator says.
 */
export async function startMetricsServer(
  listen: ListenAddress,
  metrics: ControllerMetrics,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (req.method === 'GET' && req.url === '/metrics') {
      void metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { ...headers, 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { ...headers, 'content-type': 'text/plain' });
          res.end('metrics unavailable\n');
        },
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { ...headers, 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  server.maxHeadersCount = 100;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `host:port` (IPv6 in brackets); port 0 picks a free one. A message naming the problem otherwise. */
export function parseListenAddress(value: string): ListenAddress | string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (m?.[1] === undefined || port > 65535) return `"${value}" is not host:port, e.g. 127.0.0.1:9902`;
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}
