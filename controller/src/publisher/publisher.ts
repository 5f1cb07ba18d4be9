import { contentHash, signSnapshot } from '@portcullis/contract';
import type { SigningKey, Snapshot } from '@portcullis/contract';
import type { Logger } from 'pino';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import type { BackoffOptions } from './backoff.js';
import { ProxyProtocolError, checkAdminUrl, getProxyStatus, putSignedSnapshot } from './proxy-client.js';
import { pushErrorText } from './error-text.js';
import type { ControllerMetrics } from '../metrics/metrics.js';

export interface ProxyAck {
  readonly proxy: string;
  readonly version: number;
  readonly hash: string;
}

export interface ProxyView {
  readonly url: string;
  /** What the proxy last reported running (null: nothing, or not reached yet). */
  readonly version: number | null;
  readonly hash: string | null;
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface PublisherOptions {
  readonly proxies: readonly string[];
  readonly signingKey: SigningKey;
  readonly logger: Logger;
  /** How often every proxy is re-checked, so that a restarted or new one catches up. Default 5000. */
  readonly reconcileIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly onAck?: (ack: ProxyAck) => void;
  /** Called after each failed sync (the proxy's `lastError` is already set): status says why. */
  readonly onFailure?: (proxy: string) => void;
  readonly metrics?: ControllerMetrics;
}

interface Signed {
  readonly snapshot: Snapshot;
  readonly hash: string;
  readonly version: number;
  readonly jws: string;
}

interface ProxyEntry {
  readonly url: string;
  version: number | null;
  hash: string | null;
  failures: number;
  lastError: string | undefined;
  /**
   * One sync at a time per proxy. Only a new snapshot published during a sync sets `again`: the sync
   * in flight may have sent the old one. A reconcile tick never does, because `again` also skips the
   * backoff after a failure, and a tick during every (slow, failing) sync would then retry at the
   * reconcile interval forever.
   */
  loop: Promise<void> | undefined;
  again: boolean;
  retry: NodeJS.Timeout | undefined;
}

/** How many times one sync re-signs above a proxy's version before giving up until the next retry. */
const MAX_VERSION_RETRIES = 3;

/**
 * Signs snapshots and keeps every proxy on the newest one (Kong's sendconfig habits: skip by hash,
 * keep retrying, reconcile periodically).
 *
 * Versions only go up: a new snapshot gets max(last signed, highest any proxy reported) + 1, and a
 * proxy that says VersionNotNewer gets the same content re-signed above its version. So a
 * restarted controller, which starts counting from zero, never goes backwards. The JWS itself is
 * never logged: only proxy, version and hash.
 */
export class Publisher {
  readonly #o: PublisherOptions;
  readonly #backoff: BackoffOptions;
  readonly #proxies: ReadonlyMap<string, ProxyEntry>;
  readonly #abort = new AbortController();
  #desired: Signed | undefined;
  #highest = 0;
  #publishSeq = 0;
  #reconcile: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PublisherOptions) {
    for (const url of options.proxies) {
      const problem = checkAdminUrl(url);
      if (problem !== undefined) throw new TypeError(`proxy admin URL ${problem}`);
    }
    this.#o = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#proxies = new Map(
      [...new Set(options.proxies)].map((url) => [
        url,
        {
          url,
          version: null,
          hash: null,
          failures: 0,
          lastError: undefined,
          loop: undefined,
          again: false,
          retry: undefined,
        },
      ]),
    );
  }

  start(): void {
    if (this.#reconcile !== undefined || this.#closed) return;
    this.#reconcile = setInterval(() => {
      // A proxy waiting out its backoff keeps waiting: the reconcile must not undo the backoff.
      for (const p of this.#proxies.values()) if (p.retry === undefined) this.#kick(p, 'reconcile');
    }, this.#o.reconcileIntervalMs ?? 5000);
  }

  /** Signs (unless the content is unchanged) and starts pushing; resolves once signed. */
  async publish(snapshot: Snapshot): Promise<{ version: number; hash: string; changed: boolean }> {
    const hash = contentHash(snapshot);
    const current = this.#desired;
    if (current?.hash === hash) return { version: current.version, hash, changed: false };
    const seq = ++this.#publishSeq;
    const signed = await this.#sign(snapshot, hash);
    // A newer publish may have started while this one was signing: only the newest is pushed.
    if (seq === this.#publishSeq && !this.#closed) {
      this.#desired = signed;
      this.#o.logger.info({ version: signed.version, hash }, 'snapshot signed');
      for (const p of this.#proxies.values()) this.#kick(p, 'snapshot');
    }
    return { version: signed.version, hash, changed: true };
  }

  current(): { version: number; hash: string } | undefined {
    return this.#desired === undefined
      ? undefined
      : { version: this.#desired.version, hash: this.#desired.hash };
  }

  proxies(): ProxyView[] {
    return [...this.#proxies.values()].map(({ url, version, hash, failures, lastError }) => ({
      url,
      version,
      hash,
      failures,
      lastError,
    }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reconcile);
    this.#abort.abort();
    for (const p of this.#proxies.values()) clearTimeout(p.retry);
    await Promise.all([...this.#proxies.values()].flatMap((p) => p.loop ?? []));
  }

  #sign(snapshot: Snapshot, hash: string): Promise<Signed> {
    // Taken synchronously, so that concurrent signings can never share or reverse a version.
    const version = ++this.#highest;
    return signSnapshot(this.#o.signingKey, version, snapshot).then(({ jws }) => {
      this.#o.metrics?.signatures.inc();
      return { snapshot, hash, version, jws };
    });
  }

  /**
   * Starts a sync unless one is in flight. A new snapshot starts at once even while the proxy waits
   * out its backoff (it clears the retry timer), and makes a sync in flight run once more.
   */
  #kick(p: ProxyEntry, why: 'snapshot' | 'reconcile' | 'retry'): void {
    if (this.#closed) return;
    if (p.loop !== undefined) {
      if (why === 'snapshot') p.again = true;
      return;
    }
    p.loop = this.#run(p);
  }

  async #run(p: ProxyEntry): Promise<void> {
    try {
      do {
        p.again = false;
        clearTimeout(p.retry);
        p.retry = undefined;
        try {
          await this.#sync(p);
          p.failures = 0;
          p.lastError = undefined;
        } catch (err) {
          if (this.#closed) return;
          this.#failed(p, err);
        }
      } while (p.again && !this.#closed);
    } finally {
      // In this function, with no await after the loop's last check: a `.finally()` on the caller's
      // side runs a microtask later, and a publish in between would set `again` on a loop that has
      // already decided to stop, leaving the new snapshot for the next reconcile.
      p.loop = undefined;
    }
  }

  #failed(p: ProxyEntry, err: unknown): void {
    this.#o.metrics?.pushes.inc({ proxy: p.url, result: 'Failed' });
    p.failures += 1;
    p.lastError = pushErrorText(err);
    this.#o.onFailure?.(p.url);
    const delay = backoffDelay(p.failures, this.#backoff);
    this.#o.logger.warn(
      { proxy: p.url, error: p.lastError, failures: p.failures, retryInMs: delay },
      'push failed',
    );
    // A new snapshot published meanwhile is tried at once; otherwise wait out the backoff.
    if (!p.again) {
      p.retry = setTimeout(() => {
        p.retry = undefined;
        this.#kick(p, 'retry');
      }, delay);
    }
  }

  async #sync(p: ProxyEntry): Promise<void> {
    const target = this.#desired;
    if (target === undefined) return;
    const call = { timeoutMs: this.#o.requestTimeoutMs ?? 5000, signal: this.#abort.signal };
    const status = await getProxyStatus(p.url, call);
    this.#reported(p, status.version, status.hash);
    if (status.hash === target.hash && status.version !== null) {
      this.#o.metrics?.pushes.inc({ proxy: p.url, result: 'InSync' });
      this.#acked(p, status.version, status.hash);
      return;
    }
    let signed = target;
    for (let attempt = 0; attempt <= MAX_VERSION_RETRIES; attempt++) {
      if (p.version !== null && p.version >= signed.version) {
        const resigned = await this.#resign(signed);
        if (resigned === undefined) return; // superseded by a newer snapshot, which has its own sync
        signed = resigned;
      }
      const { httpStatus, response } = await putSignedSnapshot(p.url, signed.jws, call);
      if ('result' in response) {
        if (response.hash !== signed.hash) {
          throw new ProxyProtocolError(`the proxy acknowledged hash ${response.hash}, not ${signed.hash}`);
        }
        this.#reported(p, response.version, response.hash);
        this.#o.metrics?.pushes.inc({ proxy: p.url, result: response.result });
        this.#o.logger.info(
          { proxy: p.url, version: response.version, hash: response.hash, result: response.result },
          'snapshot pushed',
        );
        this.#acked(p, response.version, response.hash);
        return;
      }
      this.#reported(p, response.current.version, response.current.hash);
      this.#o.metrics?.refusals.inc({ proxy: p.url, code: response.error.code });
      if (response.error.code !== 'VersionNotNewer') {
        throw new ProxyProtocolError(`HTTP ${httpStatus} ${response.error.code}: ${response.error.message}`);
      }
      this.#o.logger.info(
        { proxy: p.url, proxyVersion: response.current.version },
        'proxy holds a newer version; re-signing above it',
      );
    }
    throw new ProxyProtocolError('the proxy kept refusing the version as not newer');
  }

  /** Re-signs the same content above every version seen so far, if it is still the newest content. */
  async #resign(stale: Signed): Promise<Signed | undefined> {
    if (this.#desired?.hash !== stale.hash) return undefined;
    if (this.#desired.version > stale.version && this.#desired.version > this.#highestReported())
      return this.#desired;
    const signed = await this.#sign(stale.snapshot, stale.hash);
    if (this.#desired?.hash !== stale.hash) return undefined;
    if (signed.version > this.#desired.version) this.#desired = signed;
    return signed;
  }

  #highestReported(): number {
    return Math.max(0, ...[...this.#proxies.values()].map((p) => p.version ?? 0));
  }

  #reported(p: ProxyEntry, version: number | null, hash: string | null): void {
    p.version = version;
    p.hash = hash;
    if (version !== null && version > this.#highest) this.#highest = version;
  }

  #acked(p: ProxyEntry, version: number, hash: string): void {
    this.#o.onAck?.({ proxy: p.url, version, hash });
  }
}
