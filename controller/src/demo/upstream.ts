import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoUpstream {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The echo shows every header it received, so a newcomer sees what the gateway added (forwarding
 * and identity headers, the request id) and what it removed (hop-by-hop and spoofed ones). Headers
 * that carry credentials are shown as present only: the demo must not teach echoing secrets.
 */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

function shownHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const name of Object.keys(raw).sort()) {
    const value = raw[name];
    if (value === undefined) continue;
    shown[name] = CREDENTIAL_HEADERS.has(name)
      ? '(present, not echoed)'
      : Array.isArray(value)
        ? value.join(', ')
        : value;
  }
  return shown;
}

/**
 * The quick-start's stand-in for a real service: it answers every request with what it received.
 * It listens on loopback only and is for the demo, never for production.
 */
export async function startDemoUpstream(port: number, host = '127.0.0.1'): Promise<DemoUpstream> {
  const server = createServer((req, res) => {
    const headers = shownHeaders(req.headers);
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
