import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { RequestContext } from '../context.js';
import { errnoCode } from '../../errors.js';
import { clientResponseHeaders, isCloseDelimited } from './response-headers.js';
import { prepareUpstreamHeaders } from './request-headers.js';

export type UpstreamFailureCode = 'UpstreamUnavailable' | 'UpstreamTimeout';

export interface ForwardRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: RequestContext;
  /** The upstream failed before a response started: the caller answers with this code. */
  readonly onFailure: (code: UpstreamFailureCode, reason: string) => void;
  /** The upstream failed mid-response: the client connection was cut; for the log only. */
  readonly onBroken: (reason: string) => void;
}

export interface ForwarderOptions {
  readonly logger: Logger;
  /** Per upstream host:port, per protocol. Bounded so a slow upstream cannot exhaust file descriptors. */
  readonly maxSocketsPerHost?: number;
}

interface InFlight {
  readonly request: ForwardRequest;
  readonly timeoutMs: number;
  timedOut: boolean;
  /**
   * `waiting` for the upstream's response head, `responding` while relaying it, `done` once the
   * exchange was answered with an error (nothing more may be written or decided).
   */
  state: 'waiting' | 'responding' | 'done';
  /** The upstream request, once it has a socket (http-proxy hands it over only then). */
  upstreamReq?: ClientRequest;
  deadline?: NodeJS.Timeout;
}

/**
 * The exchange a request belongs to, kept on the request object itself. It was a WeakMap keyed by
 * request, but thousands of short-lived keys per second made every young-generation GC process
 * them as ephemerons: removing it cut the proxy's CPU per request by about a quarter (npm run bench).
 */
const IN_FLIGHT = Symbol('portcullis.inFlight');
type TrackedRequest = IncomingMessage & { [IN_FLIGHT]?: InFlight };

function inFlight(req: IncomingMessage): InFlight | undefined {
  return (req as TrackedRequest)[IN_FLIGHT];
}

/**
 * Sends an allowed request upstream with one shared http-proxy instance and keep-alive agents, and
 * relays the response. http-proxy is used only as a transport: no `xfwd`, no path joining (`toProxy`
 * sends `req.url` as is, which we set to the canonical form), no Host rewriting (we set Host), and
 * we write the response head ourselves (`selfHandleResponse`) so hop-by-hop headers never reach the
 * client.
 */
export class Forwarder {
  readonly #proxy: httpProxy;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  readonly #logger: Logger;

  constructor(options: ForwarderOptions) {
    this.#logger = options.logger;
    const maxSockets = options.maxSocketsPerHost ?? 256;
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: 64, scheduling: 'lifo' });
    this.#httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets,
      maxFreeSockets: 64,
      scheduling: 'lifo',
    });
    this.#proxy = httpProxy.createProxyServer({ xfwd: false, ws: false });
    removeDeleteLengthPass(this.#proxy);
    // These run in http-proxy's event handlers, outside any request's try/catch: a throw there would
    // be uncaught and take the process down, so each is contained and ends only its own exchange.
    this.#proxy.on('proxyReq', (proxyReq: ClientRequest, req: IncomingMessage, res: ServerResponse) =>
      this.#contained(res, () => this.#onProxyReq(proxyReq, req, res)),
    );
    this.#proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) =>
      this.#contained(res, () => this.#onProxyRes(proxyRes, req, res)),
    );
    // Without a listener of our own, http-proxy rethrows errors and takes the process down.
    this.#proxy.on('error', (err: Error) => this.#logger.warn({ errCode: errorCode(err) }, 'proxy error'));
  }

  forward(request: ForwardRequest): void {
    const { req, res, ctx } = request;
    const { match, upstreamTarget, snapshot, hostHeader } = ctx;
    if (
      match === undefined ||
      upstreamTarget === undefined ||
      snapshot === undefined ||
      hostHeader === undefined
    ) {
      throw new Error('forward called before the request was routed');
    }
    const upstream = match.route.upstream;
    const wantsContinue = req.headers.expect?.toLowerCase() === '100-continue';
    prepareUpstreamHeaders(req.headers, {
      requestId: ctx.requestId,
      clientAddress: req.socket.remoteAddress,
      proto: 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http',
      originalHost: hostHeader,
      upstreamAuthority: upstream.authority,
      identityHeaders: ctx.identityHeaders,
      claimHeaders: snapshot.claimHeaders,
    });
    // What was matched is exactly what is sent: the canonical target under the upstream's base path
    // (checked against the transport's own path handling by the upstream-target stage).
    req.url = upstreamTarget;
    const flight: InFlight = { request, timeoutMs: upstream.timeoutMs, timedOut: false, state: 'waiting' };
    (req as TrackedRequest)[IN_FLIGHT] = flight;
    // http-proxy's `proxyTimeout` is a socket *idle* timeout: an upstream that drips its response
    // head a byte at a time, or sends an endless run of 1xx (103 Early Hints) responses, resets it
    // for ever, and it does not run at all while the request waits for a pooled socket (agent
    // `maxSockets`). The route timeout is "time for the upstream to answer" (docs/api.md), so a
    // deadline for the response head runs from the moment the client's request is complete (a
    // slow upload is bounded by the server's requestTimeout, not by the route timeout; Envoy's
    // route timeout starts at the same point).
    if (req.complete) this.#startDeadline(flight);
    else req.once('end', () => this.#startDeadline(flight));
    // Only now, after every check passed, invite the client to send its body.
    if (wantsContinue) res.writeContinue();
    const https = upstream.protocol === 'https:';
    this.#proxy.web(
      req,
      res,
      {
        target: {
          protocol: upstream.protocol,
          host: upstream.hostname,
          hostname: upstream.hostname,
          port: upstream.port,
        },
        agent: https ? this.#httpsAgent : this.#httpAgent,
        secure: true,
        toProxy: true,
        prependPath: false,
        changeOrigin: false,
        xfwd: false,
        selfHandleResponse: true,
        proxyTimeout: upstream.timeoutMs,
      },
      (err: Error) => this.#contained(res, () => this.#onError(err, req, res)),
    );
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #contained(res: ServerResponse, handler: () => void): void {
    try {
      handler();
    } catch (err) {
      this.#logger.error({ err }, 'forwarding failed');
      res.destroy();
    }
  }

  #startDeadline(flight: InFlight): void {
    if (flight.state !== 'waiting') return;
    flight.deadline = setTimeout(() => {
      if (flight.state !== 'waiting') return;
      flight.timedOut = true;
      // With a socket, destroying the upstream request ends in the error callback (504). Still
      // queued for a socket, there is nothing to destroy yet: answer now, and the request is
      // destroyed as soon as the agent hands it a socket (#onProxyReq).
      if (flight.upstreamReq !== undefined) flight.upstreamReq.destroy();
      else {
        const { req, res } = flight.request;
        this.#contained(res, () => this.#onError(failure('NoUpstreamSocket'), req, res));
      }
    }, flight.timeoutMs);
  }

  #onProxyReq(proxyReq: ClientRequest, req: IncomingMessage, res: ServerResponse): void {
    const flight = inFlight(req);
    if (flight !== undefined) {
      // Timed out or abandoned by the client while queued for a socket: not worth sending.
      if (flight.state === 'done' || res.destroyed) {
        proxyReq.destroy();
        return;
      }
      flight.upstreamReq = proxyReq;
      // http-proxy aborts on its own `proxyTimeout` and reports a bare ECONNRESET; this flag is how
      // a timeout (504) is told apart from a reset (502).
      proxyReq.once('timeout', () => (flight.timedOut = true));
      // Node's client can end an exchange with neither a response nor an error: a `101 Switching
      // Protocols` to a request that asked for no upgrade makes it destroy the socket and emit only
      // 'close' (it also drops the socket's timeout listeners). http-proxy then never calls back
      // and the client waited for ever. Any close before a response head is an upstream failure.
      proxyReq.once('close', () => {
        if (flight.state === 'waiting')
          this.#contained(res, () => this.#onError(failure('ClosedWithoutResponse'), req, res));
      });
    }
    // A client that went away does not need its upstream request finished.
    res.once('close', () => {
      // One listener for both jobs (a listener per request is measurable at this rate). A client
      // that leaves while still queued for a socket leaves its deadline to fire: harmless, since
      // #onError finds the response destroyed.
      if (flight !== undefined) clearTimeout(flight.deadline);
      if (!res.writableFinished) proxyReq.destroy();
    });
  }

  #onProxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    const flight = inFlight(req);
    if (flight === undefined || flight.state !== 'waiting' || res.headersSent || res.destroyed) {
      proxyRes.destroy();
      return;
    }
    flight.state = 'responding';
    clearTimeout(flight.deadline);
    proxyRes.once('error', () => undefined);
    proxyRes.once('close', () => {
      if (!proxyRes.complete) {
        flight.request.onBroken(brokenReason(res, 'upstream closed mid-response'));
        res.destroy();
      }
    });
    // A Transfer-Encoding whose last coding is not chunked (`gzip`, `identity`) means "the body ends
    // when the connection closes" (RFC 9112 §6.3). Passed on over a kept-alive client connection,
    // the client read the next response on it as part of this body: such a response must close.
    if (isCloseDelimited(proxyRes.headers)) res.shouldKeepAlive = false;
    res.writeHead(
      proxyRes.statusCode ?? 502,
      clientResponseHeaders(proxyRes.headers, flight.request.ctx.requestId),
    );
    proxyRes.pipe(res);
  }

  #onError(err: Error, req: IncomingMessage, res: ServerResponse): void {
    const flight = inFlight(req);
    const reason = errorCode(err);
    if (flight === undefined) {
      res.destroy();
      return;
    }
    if (flight.state === 'done') return;
    clearTimeout(flight.deadline);
    if (flight.state === 'responding') {
      flight.request.onBroken(brokenReason(res, reason));
      res.destroy();
      return;
    }
    flight.state = 'done';
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return;
    flight.request.onFailure(flight.timedOut ? 'UpstreamTimeout' : 'UpstreamUnavailable', reason);
  }
}

/**
 * http-proxy's `deleteLength` pass sets `Content-Length: 0` and drops `Transfer-Encoding` on any
 * DELETE or OPTIONS without a Content-Length, then still pipes the chunked body it just declared
 * empty: the body reaches the upstream as a second request (smuggling). We remove the pass.
 */
function removeDeleteLengthPass(proxy: httpProxy): void {
  const internals = proxy as unknown as { webPasses?: { name: string }[] };
  const passes = internals.webPasses;
  if (!Array.isArray(passes) || !passes.some((p) => p.name === 'deleteLength')) {
    throw new Error('http-proxy internals changed: cannot remove the deleteLength pass');
  }
  internals.webPasses = passes.filter((p) => p.name !== 'deleteLength');
}

/**
 * Why a response was cut half-way. When the client has stopped reading, backpressure paused the
 * upstream and the route's idle timeout then fired on it: the client stalled, not the upstream, and
 * an operator reading the log must not go looking for a broken service.
 */
function brokenReason(res: ServerResponse, upstreamReason: string): string {
  return res.writableNeedDrain
    ? `client stopped reading; the upstream idled waiting for it (${upstreamReason})`
    : upstreamReason;
}

/** An error of our own for the log's `reason` (errorCode reads its `code`). */
function failure(code: string): Error {
  return Object.assign(new Error(code), { code });
}

function errorCode(err: unknown): string {
  return errnoCode(err) ?? (err instanceof Error ? err.name : 'unknown');
}
