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
  await lastKnownGood.ensureDir();
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
  try {
    trafficUrl = await listen(traffic, options.listen);
    adminUrl = await listen(admin, options.adminListen);
  } catch (err) {
    await Promise.all([shutdown(traffic, 0), shutdown(admin, 0)]);
    forwarder.close();
    throw err;
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
