import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per proxy instance (never prom-client's global one), so several proxies can run in
 * one process, as the tests and benchmarks do.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'portcullis_requests_total',
    help: 'Requests by route id ("none" when unrouted) and outcome code (deny code, or Forwarded).',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  /**
   * Audit (dry-run) mode is only worth running if what it would have blocked can be counted before
   * switching to Enforce: one increment per failing Audit policy per request.
   */
  readonly auditWouldDeny = new Counter({
    name: 'portcullis_audit_would_deny_total',
    help: 'Requests an Audit-mode policy would have denied, by route, policy and deny code.',
    labelNames: ['route', 'policy', 'code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'portcullis_request_duration_seconds',
    help: 'Time from request to the end of the response, forwarded or denied.',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly snapshotVersion = new Gauge({
    name: 'portcullis_snapshot_version',
    help: 'Version of the snapshot in force (0 when none).',
    registers: [this.registry],
  });
  readonly snapshotApplies = new Counter({
    name: 'portcullis_snapshot_applies_total',
    help: 'Snapshot pushes and boot loads by result (Applied, Unchanged, Rejected).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly snapshotRejections = new Counter({
    name: 'portcullis_snapshot_rejections_total',
    help: 'Refused snapshots by admin reject code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly snapshotPersistFailures = new Counter({
    name: 'portcullis_snapshot_persist_failures_total',
    help: 'Applied snapshots that could not be written as last-known-good.',
    registers: [this.registry],
  });
  readonly jwtVerifications = new Counter({
    name: 'portcullis_jwt_verifications_total',
    help: 'Signature verifications of bearer tokens by result (valid, invalid); cache hits are counted apart.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly jwtCacheHits = new Counter({
    name: 'portcullis_jwt_cache_hits_total',
    help: 'Bearer tokens accepted from the verified-token cache without a signature check.',
    registers: [this.registry],
  });

  constructor() {
    this.snapshotVersion.set(0);
  }
}
