import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/** Headers the echo shows back, so a newcomer can see what the gateway added and removed. */
const SHOWN_HEADERS = [
  'host',
  'x-portcullis-subject',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'authorization',
];

/**
 * The quick-start's stand-in for a real service: it answers every request with what it received.
 * It listens on loopback only and is for the demo, never for production.
 */
export async function startDemoUpstream(port: number, host = '127.0.0.1'): Promise<DemoUpstream> {
  const server = createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const name of SHOWN_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string')
        headers[name] = name === 'authorization' ? '(present, not echoed)' : value;
    }
    // Drain the body so keep-alive connections stay usable; its size is shown, not its content.
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const body = JSON.stringify({
        service: 'demo-upstream',
        method: req.method,
        path: req.url,
        bodyBytes: bytes,
        headers,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
