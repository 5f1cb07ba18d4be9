import type { ServerResponse } from 'node:http';
import type { DenyCode } from '@portcullis/contract';
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../metrics/metrics.js';
import type { RequestContext } from './context.js';

/** How a request ended, as far as the traffic handler knows. */
export interface RequestOutcome {
  /** The code answered (or that cut the response); undefined when forwarded successfully. */
  code: DenyCode | undefined;
  /** Detail for operators; never contains credentials. */
  reason: string | undefined;
}

const MAX_LOGGED_TARGET = 256;

/**
 * One line per request: the audit record. It names the route and policies that decided, the code,
 * and the subject, never a token or header value (pino redaction is configured as a second line of
 * defence). The query string is never logged: it may carry credentials.
 */
export interface FinishedRequest {
  readonly ctx: RequestContext;
  readonly outcome: RequestOutcome;
  readonly res: ServerResponse;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
}

export class AccessLog {
  readonly #logger: Logger;
  readonly #metrics: ProxyMetrics;

  constructor(logger: Logger, metrics: ProxyMetrics) {
    this.#logger = logger;
    this.#metrics = metrics;
  }

  record(finished: FinishedRequest): void {
    recordRequest(this.#logger, this.#metrics, finished);
  }
}

function recordRequest(logger: Logger, metrics: ProxyMetrics, finished: FinishedRequest): void {
  const { ctx, outcome, res, startedAt } = finished;
  const durationMs = performance.now() - startedAt;
  const aborted = !res.writableFinished;
  const route = ctx.match?.route;
  const decision = outcome.code !== undefined ? 'deny' : aborted ? 'aborted' : 'allow';
  const code = outcome.code ?? (aborted ? 'ClientClosed' : 'Forwarded');
  metrics.requests.inc({ route: route?.id ?? 'none', code });
  for (const w of ctx.wouldDeny) {
    metrics.auditWouldDeny.inc({ route: route?.id ?? 'none', policy: w.policy, code: w.code });
  }
  metrics.requestDuration.observe({ outcome: decision }, durationMs / 1000);
  logger.info(
    {
      requestId: ctx.requestId,
      method: ctx.head.method,
      host: ctx.host,
      path: ctx.path ?? rawPathForLog(ctx.head.url),
      route: route?.id,
      policies: route?.policyIds,
      decision,
      code,
      status: res.statusCode,
      subject: ctx.subject,
      durationMs: Math.round(durationMs * 1000) / 1000,
      ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      ...(outcome.code === 'RouteNotFound' ? { shadow: true } : {}),
      ...(ctx.wouldDeny.length > 0 ? { wouldDeny: ctx.wouldDeny } : {}),
    },
    'request',
  );
}

/**
 * For refused targets: the path part only, bounded; JSON escaping makes control bytes visible. A
 * fragment may carry a token (`#access_token=`), and any target that is not origin-form may carry
 * userinfo (`http://user:password@host/`, `user:password@host:443`), so neither is ever logged.
 */
function rawPathForLog(target: string): string {
  if (!target.startsWith('/') || target.startsWith('//')) return '[not origin-form]';
  const end = target.search(/[?#]/);
  return (end === -1 ? target : target.slice(0, end)).slice(0, MAX_LOGGED_TARGET);
}
