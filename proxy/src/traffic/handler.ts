import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CompiledSnapshot } from '../compile/compiled.js';
import type { ProxyMetrics } from '../metrics/metrics.js';
import { AccessLog } from './access-log.js';
import type { RequestOutcome } from './access-log.js';
import { createContext } from './context.js';
import type { PipelineEnv } from './context.js';
import type { Forwarder } from './forward/forwarder.js';
import { runStages } from './pipeline.js';
import { sendDeny } from './respond.js';

export interface TrafficHandlerOptions {
  /** Read once per request: the snapshot in force when the request arrived. */
  readonly currentSnapshot: () => CompiledSnapshot | undefined;
  readonly forwarder: Forwarder;
  readonly logger: Logger;
  /**
   * Where the one-line-per-request audit record goes. It may skip pino's redaction: that record is
   * built from a closed set of typed fields (never headers, bodies or the query), and redaction was
   * a tenth of the proxy's CPU per request (profiled with `--cpu-prof` under `npm run bench` load).
   */
  readonly accessLogger?: Logger;
  readonly metrics: ProxyMetrics;
  readonly now?: () => number;
}

/**
 * The traffic listener's request handler: stages decide, then the request is forwarded or refused,
 * and one access-log line is written when the response ends. Any throw ends in a 500 for this
 * request only; nothing here can take the process down.
 */
export function createTrafficHandler(
  options: TrafficHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { forwarder, logger, metrics } = options;
  const accessLog = new AccessLog(options.accessLogger ?? logger, metrics);
  const env: PipelineEnv = {
    now: options.now ?? Date.now,
    onJwtVerify: (result) => {
      if (result === 'cache-hit') metrics.jwtCacheHits.inc();
      else metrics.jwtVerifications.inc({ result });
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const ctx = createContext(
      {
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
      },
      options.currentSnapshot(),
      env,
    );
    const outcome: RequestOutcome = { code: undefined, reason: undefined };
    res.once('close', () => {
      try {
        accessLog.record({ ctx, outcome, res, startedAt });
      } catch (err) {
        logger.error({ err }, 'access log failed');
      }
    });
    try {
      const decision = await runStages(ctx);
      if (decision.kind === 'deny') {
        outcome.code = decision.code;
        outcome.reason = decision.reason;
        sendDeny(req, res, { code: decision.code, requestId: ctx.requestId });
        return;
      }
      forwarder.forward({
        req,
        res,
        ctx,
        onFailure(code, reason) {
          outcome.code = code;
          outcome.reason = reason;
          sendDeny(req, res, { code, requestId: ctx.requestId });
        },
        onBroken(reason) {
          outcome.code = 'UpstreamUnavailable';
          outcome.reason = reason;
        },
      });
    } catch (err) {
      if (ctx.requestId === '') ctx.requestId = randomUUID();
      outcome.code = 'InternalError';
      outcome.reason = 'unexpected error';
      logger.error({ err, requestId: ctx.requestId }, 'request handling failed');
      sendDeny(req, res, { code: 'InternalError', requestId: ctx.requestId });
    }
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'request handling failed');
      res.destroy();
    });
  };
}
