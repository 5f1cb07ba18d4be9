import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyStatus, TrustedKeys } from '@portcullis/contract';
import type { Logger } from 'pino';
import { createAdminServer } from './admin/admin-server.js';
import { compileSnapshot } from './compile/compile.js';
import { createHardenedServer } from './http/hardened-server.js';
import type { ServerTimeouts } from './http/hardened-server.js';
import { createLogger, withRedaction } from './logging/logger.js';
import { ProxyMetrics } from './metrics/metrics.js';
import { LastKnownGood } from './state/last-known-good.js';
import { SnapshotStore } from './state/snapshot-store.js';
import { Forwarder } from './traffic/forward/forwarder.js';
import { createTrafficHandler } from './traffic/handler.js';
import { errnoCode } from './errors.js';

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port; the actual one is in `trafficUrl` / `adminUrl`. */
  readonly port: number;
}

export interface StartProxyOptions {
  readonly listen: ListenAddress;
  readonly adminListen: ListenAddress;
  readonly trustedKeys: TrustedKeys;
  /** Holds the last-known-good snapshot; created 0700 if missing. */
  readonly stateDir: string;
  /** Defaults to pino JSON on stdout. Redaction is added either way. */
  readonly logger?: Logger;
  /** How long `close()` lets in-flight requests finish before cutting them (default 10 s). */
  readonly shutdownGraceMs?: number;
  /** Tighter client time limits for the traffic listener than SERVER_LIMITS (tests use short ones). */
  readonly timeouts?: ServerTimeouts;
}

/**
 * Why `startProxy` failed, in terms of the option the operator has to change: the binary turns this
 * into one line naming the flag, instead of a stack trace. `code` is the system error code.
 */
export class StartProxyError extends Error {
  constructor(
    readonly option: 'stateDir' | 'listen' | 'adminListen',
    readonly code: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StartProxyError';
  }
}

export interface RunningProxy {
  /** `http://host:port` of the traffic listener, with the port actually bound. */
  readonly trafficUrl: string;
  /** `http://host:port` of the admin listener, with the port actually bound. */
  readonly adminUrl: string;
  status(): ProxyStatus;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes everything. */
  close(): Promise<void>;
}

/**
 * Starts a proxy: loads the last-known-good snapshot (if it still verifies), then binds the traffic
 * and admin listeners and logs one `listening` line with both URLs.
 */
export async function startProxy(options: StartProxyOptions): Promise<RunningProxy> {
  const baseLogger = options.logger ?? createLogger();
  const logger = withRedaction(baseLogger);
  const metrics = new ProxyMetrics();
  const lastKnownGood = new LastKnownGood(options.stateDir);
  try {
    await lastKnownGood.ensureDir();
  } catch (err) {
    throw stateDirError(options.stateDir, err);
  }
  const store = new SnapshotStore({
    trustedKeys: options.trustedKeys,
    lastKnownGood,
    compile: (payload) => compileSnapshot(payload),
    logger,
    events: {
      onApplied: (compiled) => {
        metrics.snapshotApplies.inc({ result: 'Applied' });
        metrics.snapshotVersion.set(compiled.version);
      },
      onUnchanged: () => metrics.snapshotApplies.inc({ result: 'Unchanged' }),
      onRejected: (code) => {
        metrics.snapshotApplies.inc({ result: 'Rejected' });
        metrics.snapshotRejections.inc({ code });
      },
      onPersistFailed: () => metrics.snapshotPersistFailures.inc(),
    },
  });
  await store.loadLastKnownGood();

  const forwarder = new Forwarder({ logger });
  const traffic = createHardenedServer({
    handler: createTrafficHandler({
      currentSnapshot: () => store.current,
      forwarder,
      logger,
      accessLogger: baseLogger,
      metrics,
    }),
    logger,
    metrics,
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
  });
  const admin = createAdminServer({ store, metrics, logger });
  const grace = options.shutdownGraceMs ?? 10_000;

  let trafficUrl: string;
  let adminUrl: string;
  let binding: 'listen' | 'adminListen' = 'listen';
  try {
    trafficUrl = await listen(traffic, options.listen);
    binding = 'adminListen';
    adminUrl = await listen(admin, options.adminListen);
  } catch (err) {
    await Promise.all([shutdown(traffic, 0), shutdown(admin, 0)]);
    forwarder.close();
    throw listenError(binding, options[binding], err);
  }
  logger.info({ traffic: trafficUrl, admin: adminUrl }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    trafficUrl,
    adminUrl,
    status: () => store.status(),
    close: () =>
      (closing ??= (async () => {
        await Promise.all([shutdown(traffic, grace), shutdown(admin, grace)]);
        forwarder.close();
        logger.info('stopped');
      })()),
  };
}

function stateDirError(dir: string, err: unknown): StartProxyError {
  const code = errnoCode(err);
  // mkdir -p says EEXIST when the path is a file, ENOTDIR when one of its parents is.
  const reason =
    code === 'EEXIST' || code === 'ENOTDIR'
      ? `${dir} is not a directory`
      : code === 'EACCES' || code === 'EPERM'
        ? `cannot create ${dir}: permission denied`
        : `cannot create ${dir}: ${err instanceof Error ? err.message : String(err)}`;
  return new StartProxyError('stateDir', code, reason, { cause: err });
}

const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this host',
  ENOTFOUND: 'host not found',
};

function listenError(
  option: 'listen' | 'adminListen',
  address: ListenAddress,
  err: unknown,
): StartProxyError {
  const code = errnoCode(err);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const reason =
    (code === undefined ? undefined : LISTEN_REASONS[code]) ??
    (err instanceof Error ? err.message : String(err));
  return new StartProxyError(option, code, `${host}:${address.port}: ${reason}`, { cause: err });
}

function listen(server: Server, address: ListenAddress): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve(urlOf(server.address() as AddressInfo));
    });
  });
}

/** A wildcard bind is reachable on loopback; that is the URL a local caller can use. */
function urlOf(address: AddressInfo): string {
  if (address.family === 'IPv6') {
    const host = address.address === '::' ? '::1' : address.address;
    return `http://[${host}]:${address.port}`;
  }
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return `http://${host}:${address.port}`;
}

/** Stop accepting, drop idle keep-alive sockets now, and cut whatever is still busy after `graceMs`. */
function shutdown(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
