import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  ADMIN_PATHS,
  ADMIN_REJECT_CODES,
  JWS_MEDIA_TYPE,
  MAX_SIGNED_SNAPSHOT_BYTES,
  printableSnapshot,
} from '@portcullis/contract';
import type { AdminRejectCode, ApplyResponse } from '@portcullis/contract';
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../metrics/metrics.js';
import type { ApplyOutcome, SnapshotStore } from '../state/snapshot-store.js';
import { createHardenedServer } from '../http/hardened-server.js';
import { BodyGate } from './body-gate.js';
import { readBody } from './read-body.js';

/**
 * How the admin listener is exposed. Plain HTTP on loopback for now; mTLS (controller client
 * certificates, field-notes §A5) is the next variant of this union, and only
 * `createAdminServer` will need to change to build an https server for it.
 */
export type AdminTransport = { readonly kind: 'plain-http' };

export interface AdminServerOptions {
  readonly store: SnapshotStore;
  readonly metrics: ProxyMetrics;
  readonly logger: Logger;
  readonly transport?: AdminTransport;
}

/** What the handlers share: the options plus the listener's one body gate. */
interface AdminContext extends AdminServerOptions {
  readonly gate: BodyGate;
}

/** The control channel: snapshot in, status, health and metrics out. Never the traffic listener. */
export function createAdminServer(options: AdminServerOptions): Server {
  const { logger } = options;
  const context: AdminContext = { ...options, gate: new BodyGate() };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(context, req, res).catch((err: unknown) => {
      logger.error({ err }, 'admin request failed');
      if (!res.headersSent) {
        const { version, hash } = options.store.status();
        const body = {
          error: { code: 'InternalError', message: 'internal error' },
          current: { version, hash },
        };
        sendJson(res, { status: ADMIN_REJECT_CODES.InternalError.status, body, close: true });
      } else res.destroy();
    });
  };
  return createHardenedServer({ handler, logger });
}

async function route(options: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { store, metrics } = options;
  // HEAD is GET without the body (Node drops it): load balancers and uptime checks probe with it.
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  const key = `${method} ${req.url ?? ''}`;
  switch (key) {
    case `PUT ${ADMIN_PATHS.snapshot}`:
      return putSnapshot(options, req, res);
    case `GET ${ADMIN_PATHS.snapshot}`: {
      // What exactly this proxy enforces, in the printable (key-material-redacted) form.
      const current = store.current;
      if (current === undefined) {
        return sendReject(res, store, { code: 'NotFound', message: 'no snapshot in force', close: false });
      }
      const view = {
        version: current.version,
        hash: current.hash,
        snapshot: printableSnapshot(current.source),
      };
      return sendJson(res, { status: 200, body: view });
    }
    case `GET ${ADMIN_PATHS.status}`:
      return sendJson(res, { status: 200, body: store.status() });
    case `GET ${ADMIN_PATHS.healthz}`:
      return sendJson(res, { status: 200, body: { status: 'ok' } });
    case `GET ${ADMIN_PATHS.readyz}`: {
      const ready = store.current !== undefined;
      return sendJson(res, { status: ready ? 200 : 503, body: { ready } });
    }
    case `GET ${ADMIN_PATHS.metrics}`: {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    default:
      return sendReject(res, store, {
        code: 'NotFound',
        message: 'no such admin endpoint',
        close: hasBody(req),
      });
  }
}

async function putSnapshot(options: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { store, metrics, gate } = options;
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== JWS_MEDIA_TYPE) {
    metrics.snapshotApplies.inc({ result: 'Rejected' });
    metrics.snapshotRejections.inc({ code: 'UnsupportedMediaType' });
    return sendReject(res, store, {
      code: 'UnsupportedMediaType',
      message: `content-type must be ${JWS_MEDIA_TYPE}`,
      close: hasBody(req),
    });
  }
  // The slot is held from before the body is read until the apply answered, since the body stays in
  // memory while it waits in the store's queue.
  const release = await gate.acquire();
  try {
    // curl and other clients wait for this before sending a large body; send it once the type is
    // right and there is room for the body.
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    const body = await readBody(req, MAX_SIGNED_SNAPSHOT_BYTES);
    if (!body.ok) {
      if (body.kind === 'aborted') {
        res.destroy();
        return;
      }
      metrics.snapshotApplies.inc({ result: 'Rejected' });
      metrics.snapshotRejections.inc({ code: 'PayloadTooLarge' });
      return sendReject(res, store, {
        code: 'PayloadTooLarge',
        message: `body exceeds ${MAX_SIGNED_SNAPSHOT_BYTES} bytes`,
        close: true,
      });
    }
    const outcome = await store.apply(body.body.trim());
    sendOutcome(res, store, outcome);
  } finally {
    release();
  }
}

function sendOutcome(res: ServerResponse, store: SnapshotStore, outcome: ApplyOutcome): void {
  if (outcome.kind === 'rejected') {
    return sendReject(res, store, { code: outcome.code, message: outcome.message, close: false });
  }
  const body: ApplyResponse = {
    result: outcome.kind === 'applied' ? 'Applied' : 'Unchanged',
    version: outcome.version,
    hash: outcome.hash,
  };
  sendJson(res, { status: 200, body });
}

interface Rejection {
  readonly code: AdminRejectCode;
  readonly message: string;
  /** Close the connection after answering (set when an unread body is left on it). */
  readonly close: boolean;
}

/** Errors carry the version in force, so a controller that fell behind can bump past it. */
function sendReject(res: ServerResponse, store: SnapshotStore, rejection: Rejection): void {
  const { code, message, close } = rejection;
  const { version, hash } = store.status();
  const body: ApplyResponse = {
    error: { code, message: message.slice(0, 1024) },
    current: { version, hash },
  };
  sendJson(res, { status: ADMIN_REJECT_CODES[code].status, body, close });
}

interface JsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly close?: boolean;
}

function sendJson(res: ServerResponse, reply: JsonReply): void {
  const { status, body, close = false } = reply;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function hasBody(req: IncomingMessage): boolean {
  return (
    !req.complete &&
    (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0')
  );
}
