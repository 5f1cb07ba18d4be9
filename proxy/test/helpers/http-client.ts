import http from 'node:http';
import net from 'node:net';

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string;
}

/** One HTTP/1.1 request on a fresh connection (no pooling, so nothing stays open after a test). */
export function send(baseUrl: string, options: SendOptions = {}): Promise<Reply> {
  return sendDriven(baseUrl, options, (req) => req.end(options.body));
}

/**
 * Like `send`, but `drive` writes the body itself (in pieces, after `100 Continue`, or never
 * finishing it). The connection is destroyed once the response has ended, so a body the server
 * refused half-way does not keep the socket open; errors after that are the test's own doing.
 */
export function sendDriven(
  baseUrl: string,
  options: Omit<SendOptions, 'body'>,
  drive: (req: http.ClientRequest) => void,
): Promise<Reply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
          req.destroy();
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    drive(req);
  });
}

/**
 * PUTs a signed snapshot to the admin API with `Expect: 100-continue`: the body is sent only once
 * the proxy answers 100 Continue, right after `onContinue` runs.
 */
export function pushAfterContinue(
  adminUrl: string,
  jws: string,
  onContinue: () => void = () => undefined,
): Promise<Reply> {
  return sendDriven(
    adminUrl,
    {
      method: 'PUT',
      path: '/v1/snapshot',
      headers: {
        'content-type': 'application/jose',
        expect: '100-continue',
        'content-length': String(jws.length),
      },
    },
    (req) =>
      req.on('continue', () => {
        onContinue();
        req.end(jws);
      }),
  );
}

export function json<T = Record<string, unknown>>(reply: Reply): T {
  return JSON.parse(reply.text) as T;
}

/**
 * Writes raw bytes on a TCP connection and returns everything read until the server closes it.
 * Requests should carry `Connection: close` (or be ones the proxy answers by closing). The bound
 * only protects the test run from a server that never closes; nothing asserts on time.
 */
export function sendRaw(
  baseUrl: string,
  data: string | readonly string[],
  maxWaitMs = 5_000,
): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const parts = typeof data === 'string' ? [data] : data;
    let out = '';
    const timer = setTimeout(() => socket.destroy(), maxWaitMs);
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
    socket.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/**
 * Status codes of every response in a raw exchange, in order. Not anchored to a line start: a
 * pipelined response follows the previous body directly (`...}HTTP/1.1 200 OK`), and a `^` would miss it.
 */
export function statusLines(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
