import { MAX_ROUTE_TABLE_ENTRIES, routeTableEntries, verifySignedSnapshot } from '@portcullis/contract';
import type { AdminRejectCode, ProxyStatus, SignedPayload, TrustedKeys } from '@portcullis/contract';
import type { Logger } from 'pino';
import type { CompileResult } from '../compile/compile.js';
import type { CompiledSnapshot } from '../compile/compiled.js';
import type { LastKnownGood } from './last-known-good.js';

export type ApplyOutcome =
  | { readonly kind: 'applied' | 'unchanged'; readonly version: number; readonly hash: string }
  | { readonly kind: 'rejected'; readonly code: AdminRejectCode; readonly message: string };

export type BootOutcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly version: number; readonly hash: string }
  | { readonly kind: 'refused'; readonly message: string };

type Origin = 'push' | 'last-known-good';

interface InForce {
  readonly compiled: CompiledSnapshot;
  readonly appliedAt: string;
  readonly origin: Origin;
}

export interface SnapshotStoreEvents {
  readonly onApplied?: (compiled: CompiledSnapshot, origin: Origin) => void;
  readonly onRejected?: (code: AdminRejectCode) => void;
  readonly onUnchanged?: () => void;
  readonly onPersistFailed?: () => void;
}

export interface SnapshotStoreOptions {
  readonly trustedKeys: TrustedKeys;
  readonly lastKnownGood: LastKnownGood;
  readonly compile: (payload: SignedPayload) => Promise<CompileResult>;
  readonly logger: Logger;
  readonly events?: SnapshotStoreEvents;
  readonly now?: () => Date;
}

/**
 * The snapshot in force and the only way to change it. Every change goes through one queue, so two
 * concurrent pushes cannot both pass the version check against the same old version. A snapshot is
 * swapped in with a single reference assignment after it verified, compiled and was persisted;
 * anything that fails on the way leaves the old one in force.
 */
export class SnapshotStore {
  readonly #options: SnapshotStoreOptions;
  #inForce: InForce | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SnapshotStoreOptions) {
    this.#options = options;
  }

  get current(): CompiledSnapshot | undefined {
    return this.#inForce?.compiled;
  }

  status(): ProxyStatus {
    const f = this.#inForce;
    return {
      version: f?.compiled.version ?? null,
      hash: f?.compiled.hash ?? null,
      ready: f !== undefined,
      appliedAt: f?.appliedAt ?? null,
      origin: f?.origin ?? null,
    };
  }

  /** Verifies and applies a pushed compact JWS. */
  apply(jws: string): Promise<ApplyOutcome> {
    return this.#serialised(() => this.#apply(jws));
  }

  /** At boot: serve the persisted snapshot if it still verifies and compiles; otherwise none. */
  loadLastKnownGood(): Promise<BootOutcome> {
    return this.#serialised(() => this.#loadLastKnownGood());
  }

  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(jws: string): Promise<ApplyOutcome> {
    const verified = await verifySignedSnapshot(jws, this.#options.trustedKeys);
    if (!verified.ok) return this.#reject(verified.code, verified.message);
    const { payload } = verified;
    const current = this.#inForce?.compiled;
    if (current !== undefined && payload.version <= current.version) {
      if (payload.version === current.version && payload.hash === current.hash) {
        this.#options.events?.onUnchanged?.();
        return { kind: 'unchanged', version: current.version, hash: current.hash };
      }
      return this.#reject(
        'VersionNotNewer',
        `version ${payload.version} is not newer than version ${current.version} in force`,
      );
    }
    const compiled = await this.#compile(payload);
    if (!compiled.ok) return this.#reject('CompileFailed', compiled.message);
    try {
      await this.#options.lastKnownGood.write(jws);
    } catch (err) {
      // Serving the newer policy beats refusing it: it may revoke access. The controller sees the
      // version in force and the failure is loud in the log and in metrics.
      this.#options.events?.onPersistFailed?.();
      this.#options.logger.error(
        { err, version: payload.version },
        'could not persist last-known-good snapshot',
      );
    }
    this.#swap(compiled.compiled, 'push');
    return { kind: 'applied', version: payload.version, hash: payload.hash };
  }

  async #loadLastKnownGood(): Promise<BootOutcome> {
    const { logger } = this.#options;
    const dirWarning = await this.#options.lastKnownGood.secureDir();
    if (dirWarning !== undefined) logger.warn({ dir: this.#options.lastKnownGood.path }, dirWarning);
    const file = await this.#options.lastKnownGood.read();
    if (file.kind === 'none') {
      logger.info('no last-known-good snapshot; serving 503 until one is pushed');
      return { kind: 'none' };
    }
    const refuse = (message: string): BootOutcome => {
      logger.error(
        { reason: message, file: this.#options.lastKnownGood.path },
        'last-known-good snapshot refused',
      );
      return { kind: 'refused', message };
    };
    if (file.kind === 'unreadable') return refuse(file.message);
    const verified = await verifySignedSnapshot(file.jws.trim(), this.#options.trustedKeys);
    if (!verified.ok) return refuse(`${verified.code}: ${verified.message}`);
    const compiled = await this.#compile(verified.payload);
    if (!compiled.ok) return refuse(`CompileFailed: ${compiled.message}`);
    this.#swap(compiled.compiled, 'last-known-good');
    return { kind: 'loaded', version: verified.payload.version, hash: verified.payload.hash };
  }

  /**
   * The route table's size is checked before it is built: a verified snapshot within the schema's
   * limits can still ask for gigabytes of trie, built synchronously, and the process would die of it
   * (and, re-pushed after every restart, keep dying) instead of refusing it.
   */
  async #compile(payload: SignedPayload): Promise<CompileResult> {
    const entries = routeTableEntries(payload.snapshot);
    if (entries > MAX_ROUTE_TABLE_ENTRIES) {
      return {
        ok: false,
        message: `routes: ${entries} route-table entries (hosts x methods x path depth) exceed the limit of ${MAX_ROUTE_TABLE_ENTRIES}`,
      };
    }
    return this.#options.compile(payload);
  }

  #swap(compiled: CompiledSnapshot, origin: Origin): void {
    const appliedAt = (this.#options.now?.() ?? new Date()).toISOString();
    this.#inForce = { compiled, appliedAt, origin };
    this.#options.events?.onApplied?.(compiled, origin);
    this.#options.logger.info(
      { version: compiled.version, hash: compiled.hash, origin },
      'snapshot in force',
    );
  }

  #reject(code: AdminRejectCode, fullMessage: string): ApplyOutcome {
    // The wire allows 1024 characters; the log gets no more, since a message can quote the input.
    const message = fullMessage.slice(0, 1024);
    this.#options.events?.onRejected?.(code);
    this.#options.logger.warn({ code, reason: message }, 'snapshot refused');
    return { kind: 'rejected', code, message };
  }
}
