import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DENY_CODES } from '@portcullis/contract';
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { errorBody } from '../traffic/respond.js';

/**
 * Connection limits against slow and oversized clients (field-notes §A6). Node enforces the two
 * timeouts only every `connectionsCheckingInterval`, so that is lowered with them.
 */
export const SERVER_LIMITS = {
  headersTimeout: 15_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  maxHeaderSize: 16 * 1024,
  maxRequestsPerSocket: 1_000,
  /**
   * Header lines a request may carry (Envoy's default). Node silently drops lines past its
   * `maxHeadersCount` from `req.headers`, while llhttp still frames the body by a Content-Length or
   * Transfer-Encoding it read there: forwarded without them, a GET body reached the upstream as a
   * second request. Node is told to keep one line more than allowed, so the protocol stage can tell
   * "at the limit" from "truncated" and refuse the latter.
   */
  maxHeaders: 100,
} as const;

/** The time limits a caller may tighten (tests, and embedders with stricter budgets). */
export type ServerTimeouts = Partial<
  Record<'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval', number>
>;

export interface HttpServerOptions {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly logger: Logger;
  readonly metrics?: ProxyMetrics;
  readonly timeouts?: ServerTimeouts;
}

/** Node reports both its header and its whole-request timeout with this code. */
const REQUEST_TIMEOUT = 'ERR_HTTP_REQUEST_TIMEOUT';

/** A hardened HTTP/1.1 server, used by both the traffic and the admin listener. */
export function createHardenedServer(options: HttpServerOptions): http.Server {
  const { logger, metrics } = options;
  const limits = { ...SERVER_LIMITS, ...options.timeouts };
  const handler = closeAfterMaxRequests(options.handler);
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      connectionsCheckingInterval: limits.connectionsCheckingInterval,
      maxHeaderSize: SERVER_LIMITS.maxHeaderSize,
      // The protocol stage requires exactly one Host and answers with the generic body.
      requireHostHeader: false,
      joinDuplicateHeaders: false,
    },
    handler,
  );
  server.keepAliveTimeout = limits.keepAliveTimeout;
  allowHalfClose(server);
  server.maxHeadersCount = SERVER_LIMITS.maxHeaders + 1;
  // `Expect: 100-continue` goes through the pipeline like any request; the forwarder sends the
  // 100 only once the request is allowed, so a refused client is never invited to upload.
  server.on('checkContinue', handler);
  // Requests llhttp refuses (smuggling attempts, bad framing, oversized headers) and CONNECT (this
  // is not a forward proxy) get a generic 400; a client too slow with its headers or body (the two
  // timeouts above) a 408. Then the connection is closed.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    const code = err.code === REQUEST_TIMEOUT ? 'RequestTimeout' : 'BadRequest';
    metrics?.requests.inc({ route: 'none', code });
    logger.info({ errCode: err.code ?? err.name, decision: 'deny', code }, 'client error');
    rejectConnection(socket, code);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    metrics?.requests.inc({ route: 'none', code: 'BadRequest' });
    rejectConnection(socket, 'BadRequest');
  });
  return server;
}

/**
 * A client may send its whole request and then shut down its sending side (`nc -N`, some HTTP/1.1
 * clients): that FIN means "no more requests", not "I am gone". Node's default
 * (`httpAllowHalfOpen = false`) answers it by ending the socket at once, so a response still being
 * prepared (a forwarded request, or a refusal decided after an async JWT check) was never written and
 * the request was logged as ClientClosed. With half-close allowed, Node marks the response in
 * progress as the connection's last and closes after it. A request still incomplete at the FIN is a
 * parse error as before, and a reset socket is destroyed as before, so true aborts are still seen.
 * The cost: a client that closes entirely after a complete request sends the same FIN, so its
 * upstream exchange now runs until the response (whose write then fails) or the route timeout.
 * The flag is not in Node's typings; it is checked so that a Node without it fails at start, not
 * silently (field-notes §1.8; proxy/test/half-close.test.ts pins the behaviour).
 */
function allowHalfClose(server: http.Server): void {
  const flags = server as http.Server & { httpAllowHalfOpen?: unknown };
  if (typeof flags.httpAllowHalfOpen !== 'boolean') {
    throw new Error('node:http internals changed: server.httpAllowHalfOpen not found');
  }
  flags.httpAllowHalfOpen = true;
}

/**
 * Caps requests per connection the way nginx's keepalive_requests does: the last allowed response
 * says `Connection: close` and the connection is then closed. Node's own `maxRequestsPerSocket`
 * instead keeps the socket open and answers 503 to every later request, so a client that ignores
 * `Connection: close` (autocannon does) would get an endless stream of 503s from a healthy proxy.
 */
const SERVED = Symbol('portcullis.served');

function closeAfterMaxRequests(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  // Counted on the socket itself rather than in a WeakMap: weak keys cost every GC (see forwarder.ts).
  return (req, res) => {
    const socket = req.socket as typeof req.socket & { [SERVED]?: number };
    const count = (socket[SERVED] ?? 0) + 1;
    socket[SERVED] = count;
    if (count >= SERVER_LIMITS.maxRequestsPerSocket) res.shouldKeepAlive = false;
    handler(req, res);
  };
}

function rejectConnection(socket: Duplex, code: 'BadRequest' | 'RequestTimeout'): void {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inProgress?.headersSent === true) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const body = errorBody(code, requestId);
  const status = DENY_CODES[code].status;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      'content-type: application/json\r\n' +
      'cache-control: no-store\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `x-request-id: ${requestId}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
  // A client that does not read its answer must not keep the socket: Node's timeouts no longer apply.
  setTimeout(() => socket.destroy(), 2_000).unref();
}
