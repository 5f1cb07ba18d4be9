import { contentHash } from '@portcullis/contract';
import type { SigningKey, Snapshot } from '@portcullis/contract';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { compile } from '../compiler/compile.js';
import type { AcceptedObject, CompileOutput, ObjectStatus } from '../compiler/types.js';
import type { ControllerMetrics } from '../metrics/metrics.js';
import { Publisher } from '../publisher/publisher.js';
import { resourceKey } from '../resources/model.js';
import type { LoadResult } from '../resources/loader.js';
import { formatLoadIssue } from '../resources/yaml.js';
import { FolderSource } from '../source/folder.js';
import type { LiveObjectStatus, ProgrammedCount } from '../status/types.js';
import { StatusWriter } from '../status/writer.js';
import { GenerationCounter } from './generations.js';
import { injectedResources, mergeResources } from './inject.js';
import { GenerationLedger } from './ledger.js';

export interface ControllerOptions {
  readonly folder: string;
  /** Proxy admin base URLs, e.g. http://127.0.0.1:9901. */
  readonly proxies: readonly string[];
  readonly signingKey: SigningKey;
  /** Raw Kubernetes objects treated as if they were in the folder (e.g. a demo JWKS Secret). */
  readonly extraResources?: readonly unknown[];
  readonly logger: Logger;
  /** Where the human status table (and load errors) are printed on every change. */
  readonly statusOut?: NodeJS.WritableStream;
  readonly reconcileIntervalMs?: number;
  /** Tuning, mostly for tests. */
  readonly debounceMs?: number;
  readonly rescanIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly now?: () => Date;
  /** Compile, object, signing and push metrics (see docs/operations.md); none when undefined. */
  readonly metrics?: ControllerMetrics;
}

export interface ControllerView {
  readonly snapshot: Snapshot;
  readonly statuses: readonly LiveObjectStatus[];
  readonly version: number;
  readonly hash: string;
}

export interface RunningController {
  close(): Promise<void>;
  /** Resolves when every proxy has acked the newest compiled snapshot (at once if none is configured). */
  whenProgrammed(): Promise<{ version: number; hash: string }>;
  /** The newest published snapshot and the current statuses; undefined before the first publish. */
  current(): ControllerView | undefined;
}

/**
 * Local mode wiring: folder -> compiler -> publisher -> status. Only connects parts; each decision
 * lives in the part that owns it. Resolves once the folder is loaded and the first snapshot signed
 * (the pushes go on in the background).
 */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { logger } = options;
  // The key id every proxy must trust; a proxy that refuses with "unknown signing key id" names its
  // kid, so the two lines can be compared.
  logger.info({ kid: options.signingKey.kid, folder: options.folder }, 'signing snapshots as');
  const injected = injectedResources(options.extraResources ?? []);
  const ledger = new GenerationLedger();
  const generations = new GenerationCounter();
  const statusWriter = new StatusWriter({
    out: options.statusOut,
    now: options.now,
    onChange: (change) => {
      // Programmed and Ready flip on every push while proxies catch up: debug, not a log line each.
      if (change.type === 'Programmed' || change.type === 'Ready') logger.debug(change, 'status');
      else if (change.status === 'True') logger.info(change, 'status');
      else logger.warn(change, 'status');
    },
  });
  const waiters: { resolve: (v: { version: number; hash: string }) => void; reject: (e: Error) => void }[] =
    [];

  let previous: readonly AcceptedObject[] = [];
  let latest: { output: CompileOutput; hash: string } | undefined;
  let published: { snapshot: Snapshot; hash: string; version: number } | undefined;
  let statuses: LiveObjectStatus[] = [];
  let publishing: Promise<unknown> = Promise.resolve();
  let closed = false;

  const publisher = new Publisher({
    proxies: options.proxies,
    signingKey: options.signingKey,
    logger,
    reconcileIntervalMs: options.reconcileIntervalMs,
    requestTimeoutMs: options.requestTimeoutMs,
    metrics: options.metrics,
    onAck: () => {
      refreshStatus();
      settleWaiters();
    },
    onFailure: () => refreshStatus(),
  });

  const programmedFor = (s: ObjectStatus): ProgrammedCount => {
    const proxies = publisher.proxies();
    const key = resourceKey(s);
    const runs = (hash: string | null) => hash !== null && ledger.carries(hash, key, s.generation);
    let programmed = 0;
    // Why the others do not run it: a refused signature or an unreachable proxy belongs in status,
    // not only in the log.
    const errors: string[] = [];
    for (const p of proxies) {
      if (runs(p.hash)) programmed += 1;
      else if (p.lastError !== undefined) errors.push(`${p.url}: ${p.lastError}`);
    }
    return { programmed, total: proxies.length, inForce: runs(latest?.hash ?? null), errors };
  };

  const refreshStatus = (): void => {
    if (latest === undefined || closed) return;
    statuses = statusWriter.update(latest.output.statuses, programmedFor);
  };

  const programmedNow = (): { version: number; hash: string } | undefined => {
    const signed = publisher.current();
    if (latest === undefined || signed === undefined || signed.hash !== latest.hash) return undefined;
    const proxies = publisher.proxies();
    if (proxies.some((p) => p.hash !== latest?.hash)) return undefined;
    return { version: Math.max(signed.version, ...proxies.map((p) => p.version ?? 0)), hash: signed.hash };
  };

  const settleWaiters = (): void => {
    const done = programmedNow();
    if (done === undefined) return;
    for (const w of waiters.splice(0)) w.resolve(done);
  };

  options.metrics?.observe(publisher);

  let loadFailing = false;
  const onLoad = (load: LoadResult): void => {
    options.metrics?.loadErrors.set(load.errors.length);
    for (const e of load.errors) logger.error({ file: e.file, line: e.line }, formatLoadIssue(e));
    for (const w of load.warnings) logger.warn({ file: w.file, line: w.line }, formatLoadIssue(w));
    if (load.errors.length > 0) {
      options.statusOut?.write(load.errors.map((e) => `error: ${formatLoadIssue(e)}\n`).join(''));
    } else if (loadFailing) {
      // The errors printed last stay on the screen: say they are gone, or a fixed file looks broken.
      options.statusOut?.write(`ok: every file in ${options.folder} loads again\n`);
      logger.info('every file loads again');
    }
    loadFailing = load.errors.length > 0;
    const merged = mergeResources(load.resources, injected);
    const resources = generations.assign(merged.resources);
    const shadowed = merged.shadowed;
    for (const label of shadowed)
      logger.warn({ object: label }, 'an injected object is shadowed by one in the folder');

    let output: CompileOutput;
    const started = performance.now();
    try {
      output = compile({ resources, previous });
    } catch (err) {
      // Only a compiler bug gets here; the snapshot in force stays, as it would for a bad file.
      options.metrics?.compiles.inc({ result: 'failed' });
      logger.error({ err }, 'compile failed; the previous snapshot stays in force');
      return;
    }
    recordCompile(options.metrics, output, (performance.now() - started) / 1000);
    previous = output.accepted;
    const hash = contentHash(output.snapshot);
    ledger.record(hash, output.accepted);
    latest = { output, hash };
    logger.info(
      {
        hash,
        routes: output.snapshot.routes.length,
        policies: output.snapshot.policies.length,
        errors: output.problems.filter((p) => p.severity === 'error').length,
      },
      'compiled',
    );
    refreshStatus();
    const snapshot = output.snapshot;
    publishing = publishing
      .then(() => publisher.publish(snapshot))
      .then((r) => {
        published = { snapshot, hash: r.hash, version: r.version };
        refreshStatus();
        settleWaiters();
      })
      .catch((err: unknown) => logger.error({ err }, 'signing failed'));
  };

  const source = await FolderSource.start({
    folder: options.folder,
    logger,
    onChange: onLoad,
    debounceMs: options.debounceMs,
    rescanIntervalMs: options.rescanIntervalMs,
  });
  await publishing;
  publisher.start();

  return {
    async close() {
      if (closed) return;
      closed = true;
      await source.close();
      await publishing;
      await publisher.close();
      for (const w of waiters.splice(0)) w.reject(new Error('the controller was closed'));
    },
    whenProgrammed() {
      if (closed) return Promise.reject(new Error('the controller was closed'));
      const done = programmedNow();
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    current() {
      const signed = publisher.current();
      if (published === undefined || signed === undefined) return undefined;
      // A re-sign above a proxy's version changes the version, never the content.
      const version = signed.hash === published.hash ? signed.version : published.version;
      return { snapshot: published.snapshot, statuses, version, hash: published.hash };
    },
  };
}

function recordCompile(metrics: ControllerMetrics | undefined, output: CompileOutput, seconds: number): void {
  if (metrics === undefined) return;
  metrics.compiles.inc({ result: 'compiled' });
  metrics.compileDuration.observe(seconds);
  metrics.routes.set(output.snapshot.routes.length);
  metrics.setObjects(
    output.statuses.map((s) => ({
      kind: s.kind,
      accepted: s.status.conditions.some((c) => c.type === 'Accepted' && c.status === 'True'),
    })),
  );
}
