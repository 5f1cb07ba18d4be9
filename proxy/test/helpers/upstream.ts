import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface Upstream {
  readonly url: string;
  /** Every request the upstream received, in order. */
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export type UpstreamBehaviour = 'echo' | 'hang';

/**
 * A real upstream. `echo` answers every request with its method, url, headers and body as JSON and
 * adds hop-by-hop response headers the proxy must strip; `hang` reads the request and never answers.
 */
export async function startUpstream(behaviour: UpstreamBehaviour = 'echo'): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(record);
      if (behaviour === 'hang') return;
      const body = JSON.stringify(record);
      res.writeHead(200, {
        'content-type': 'application/json',
        'keep-alive': 'timeout=99, max=1000',
        connection: 'keep-alive, x-upstream-hop',
        'x-upstream-hop': 'secret-hop',
        'x-upstream': 'echo',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
