import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the scrape-time gauges read: the publisher's view of each proxy and its newest signature. */
export interface ProxyStateSource {
  proxies(): readonly {
    url: string;
    version: number | null;
    hash: string | null;
    failures: number;
  }[];
  current(): { version: number; hash: string } | undefined;
}

/** How one sync of one proxy ended. */
export type PushResult = 'Applied' | 'Unchanged' | 'InSync' | 'Failed';

/**
 * The controller's metrics, in their own registry (never prom-client's global one) so tests can
 * run several controllers in one process. Proxy labels are the configured admin URLs: a bounded,
 * operator-chosen set, never anything a client sends.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly compiles = new Counter({
    name: 'portcullis_controller_compiles_total',
    help: 'Compilations of the folder by result (compiled, failed: a compiler bug; the snapshot in force stays).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly compileDuration = new Histogram({
    name: 'portcullis_controller_compile_duration_seconds',
    help: 'Time to compile the loaded objects into a snapshot.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly loadErrors = new Gauge({
    name: 'portcullis_controller_load_errors',
    help: 'Files or documents that could not be loaded in the newest read of the folder.',
    registers: [this.registry],
  });
  readonly objects = new Gauge({
    name: 'portcullis_controller_objects',
    help: 'Objects in the newest compilation by kind and Accepted condition status (True, False).',
    labelNames: ['kind', 'accepted'] as const,
    registers: [this.registry],
  });
  readonly routes = new Gauge({
    name: 'portcullis_controller_snapshot_routes',
    help: 'Routes in the newest compiled snapshot.',
    registers: [this.registry],
  });
  readonly signatures = new Counter({
    name: 'portcullis_controller_snapshots_signed_total',
    help: 'Snapshots signed, including re-signatures above a version a proxy already holds.',
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'portcullis_controller_pushes_total',
    help: 'Syncs of one proxy by result (Applied, Unchanged, InSync: hash already matched, Failed).',
    labelNames: ['proxy', 'result'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'portcullis_controller_push_refusals_total',
    help: 'Typed refusals from a proxy by admin reject code (VersionNotNewer is followed by a re-sign).',
    labelNames: ['proxy', 'code'] as const,
    registers: [this.registry],
  });
  #source: ProxyStateSource | undefined;

  constructor() {
    const read = () => this.#source;
    new Gauge({
      name: 'portcullis_controller_snapshot_version',
      help: 'Version of the newest signed snapshot (0 before the first).',
      registers: [this.registry],
      collect() {
        this.set(read()?.current()?.version ?? 0);
      },
    });
    new Gauge({
      name: 'portcullis_controller_proxy_snapshot_version',
      help: 'Version the proxy last reported running (0: none, or never reached); kept while it is unreachable.',
      labelNames: ['proxy'] as const,
      registers: [this.registry],
      collect() {
        for (const p of read()?.proxies() ?? []) this.set({ proxy: p.url }, p.version ?? 0);
      },
    });
    new Gauge({
      name: 'portcullis_controller_proxy_in_sync',
      help: '1 when the last sync of the proxy succeeded and it runs the newest signed snapshot, else 0.',
      labelNames: ['proxy'] as const,
      registers: [this.registry],
      collect() {
        const newest = read()?.current()?.hash;
        for (const p of read()?.proxies() ?? [])
          this.set({ proxy: p.url }, newest !== undefined && p.hash === newest && p.failures === 0 ? 1 : 0);
      },
    });
    new Gauge({
      name: 'portcullis_controller_proxy_consecutive_failures',
      help: 'Failed syncs of the proxy since its last successful one (drives the retry backoff).',
      labelNames: ['proxy'] as const,
      registers: [this.registry],
      collect() {
        for (const p of read()?.proxies() ?? []) this.set({ proxy: p.url }, p.failures);
      },
    });
  }

  /** Where the per-proxy gauges are read from at scrape time (one source of truth: the publisher). */
  observe(source: ProxyStateSource): void {
    this.#source = source;
  }

  /** Replaces the object counts with those of the newest compilation. */
  setObjects(statuses: readonly { kind: string; accepted: boolean }[]): void {
    this.objects.reset();
    for (const s of statuses) this.objects.inc({ kind: s.kind, accepted: s.accepted ? 'True' : 'False' });
  }
}
